import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyDigits, divRoundHalfUp, isCurrency, parseMajor, splitTolerance, toMajor, toMajorText } from './money';

describe('money', () => {
  it('knows ISO 4217 digits', () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('eur')).toBe(false);
  });

  it('parses major units into minor units exactly', () => {
    expect(parseMajor(1250.5, 2)).toEqual({ ok: true, minor: 125050n });
    expect(parseMajor(0.1, 2)).toEqual({ ok: true, minor: 10n });
    expect(parseMajor(1.005, 3)).toEqual({ ok: true, minor: 1005n });
    expect(parseMajor(100, 0)).toEqual({ ok: true, minor: 100n });
    expect(parseMajor(1.5, 0)).toEqual({ ok: false, reason: 'too-many-decimals' });
    expect(parseMajor(0.001, 2)).toEqual({ ok: false, reason: 'too-many-decimals' });
    expect(parseMajor(1e-7, 2)).toEqual({ ok: false, reason: 'too-many-decimals' });
    expect(parseMajor(-1, 2)).toEqual({ ok: false, reason: 'negative' });
    expect(parseMajor('10', 2)).toEqual({ ok: false, reason: 'not-a-number' });
    expect(parseMajor(Number.NaN, 2)).toEqual({ ok: false, reason: 'not-a-number' });
    expect(parseMajor(1e13, 2)).toEqual({ ok: false, reason: 'too-large' });
  });

  it('round-trips every amount through its JSON number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1_000_000_000_000n }), fc.constantFrom(0, 2, 3), (minor, digits) => {
        const major = toMajor(minor, digits);
        expect(parseMajor(JSON.parse(JSON.stringify(major)), digits)).toEqual({ ok: true, minor });
      }),
    );
  });

  it('writes decimal text with exactly the currency digits', () => {
    expect(toMajorText(125050n, 2)).toBe('1250.50');
    expect(toMajorText(5n, 2)).toBe('0.05');
    expect(toMajorText(0n, 2)).toBe('0.00');
    expect(toMajorText(5000n, 0)).toBe('5000');
    expect(toMajorText(1125n, 3)).toBe('1.125');
    expect(toMajorText(-1n, 3)).toBe('-0.001');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.constantFrom(0, 2, 3), (minor, digits) => {
        const text = toMajorText(minor, digits);
        expect(text).toMatch(digits === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${digits}}$`));
        expect(BigInt(text.replace('.', ''))).toBe(minor);
      }),
    );
  });

  it('rounds half up', () => {
    expect(divRoundHalfUp(5n, 10n)).toBe(1n);
    expect(divRoundHalfUp(4n, 10n)).toBe(0n);
    expect(divRoundHalfUp(15n, 10n)).toBe(2n);
    expect(divRoundHalfUp(-15n, 10n)).toBe(-2n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d) => {
        const q = divRoundHalfUp(n, d);
        // -1/2 <= n/d - q < 1/2: nearest integer, ties upward
        const r = 2n * n - 2n * q * d;
        expect(r < d && r >= -d).toBe(true);
      }),
    );
  });

  it('tolerates one hundredth of a major unit', () => {
    expect(splitTolerance(2)).toBe(1n);
    expect(splitTolerance(3)).toBe(10n);
    expect(splitTolerance(0)).toBe(0n);
  });
});
