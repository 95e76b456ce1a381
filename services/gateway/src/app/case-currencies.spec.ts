import { describe, expect, it } from 'vitest';
import { CaseCurrencies } from './case-currencies';

describe('CaseCurrencies', () => {
  it('answers only for the partner that owns the case', () => {
    const cache = new CaseCurrencies();
    cache.set('p1', 'c1', 'JPY');
    expect(cache.get('p1', 'c1')).toBe('JPY');
    expect(cache.get('p2', 'c1')).toBeUndefined();
    cache.delete('p1', 'c1');
    expect(cache.get('p1', 'c1')).toBeUndefined();
  });

  it('drops the oldest entry past its bound', () => {
    const cache = new CaseCurrencies(2);
    cache.set('p', 'a', 'EUR');
    cache.set('p', 'b', 'EUR');
    cache.set('p', 'c', 'EUR');
    expect([cache.get('p', 'a'), cache.get('p', 'b'), cache.get('p', 'c')]).toEqual([undefined, 'EUR', 'EUR']);
  });
});
