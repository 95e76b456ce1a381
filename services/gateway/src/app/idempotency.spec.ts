import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, requestHash } from './idempotency';

/** The obvious recursive definition, as the reference for the iterative one. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

describe('canonical request hashing', () => {
  it('equals the recursive definition on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => canonical(v) === reference(v)),
      { seed: 11, numRuns: 500 },
    );
  });

  it('ignores key order and spacing', () => {
    expect(requestHash('POST', '/x', JSON.parse('{"b":1,"a":[1,{"d":2,"c":3}]}'))).toBe(
      requestHash('POST', '/x', JSON.parse('{ "a": [1, {"c":3,"d":2}], "b": 1 }')),
    );
  });

  it('ignores the letter case of keys, as bodies are read (SPEC §10), but not of values', () => {
    const sent = JSON.parse('{"paymentAmount":1,"date":"2026-11-01","debtor":{"name":"A"}}');
    expect(requestHash('POST', '/x', JSON.parse('{"PaymentAmount":1,"Date":"2026-11-01","DEBTOR":{"Name":"A"}}'))).toBe(requestHash('POST', '/x', sent));
    expect(requestHash('POST', '/x', JSON.parse('{"paymentAmount":1,"date":"2026-11-01","debtor":{"name":"a"}}'))).not.toBe(requestHash('POST', '/x', sent));
    // two spellings of one key (a 400 anyway) hash apart from one spelling, in a fixed order
    expect(requestHash('POST', '/x', { a: 1, A: 2 })).toBe(requestHash('POST', '/x', { A: 2, a: 1 }));
    expect(requestHash('POST', '/x', { a: 1, A: 2 })).not.toBe(requestHash('POST', '/x', { a: 1 }));
  });

  it('hashes a value nested 100,000 deep without exhausting the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    expect(() => requestHash('POST', '/x', deep)).not.toThrow();
  });
});
