import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './errors';
import { commissionOwed, computeSplit, effectiveCommissionStatus, revenueShareFor } from './payment-split';
import { parseRate } from './rate';

const terms = (fee: number, share: number) => ({ successFeePpm: parseRate(fee, 100, 100)!, revenueSharePpm: parseRate(share, 1, 1)! });

describe('payment split', () => {
  it('computes the default split from the success fee, half up', () => {
    expect(computeSplit(100_00n, terms(20, 0.4), undefined, 1n)).toEqual({ payoutCreditor: 80_00n, payoutCollectionPartner: 20_00n, platformFee: 8_00n });
    // 20.5 % of 0.99 = 0.20295 → 0.20; 25 % of 0.02 = 0.005 → 0.01 (half up)
    expect(computeSplit(99n, terms(20.5, 0.4), undefined, 1n).payoutCollectionPartner).toBe(20n);
    expect(computeSplit(2n, terms(25, 0.4), undefined, 1n).payoutCollectionPartner).toBe(1n);
    // platform fee: 0.01 × 0.5 = 0.005 → 0.01
    expect(computeSplit(4n, terms(25, 0.5), undefined, 1n).platformFee).toBe(1n);
  });

  it('accepts an explicit split within the tolerance, creditor absorbing the difference', () => {
    expect(computeSplit(100_01n, terms(20, 0.2), { payoutCreditor: 80_00n, payoutCollectionPartner: 20_00n }, 1n)).toEqual({
      payoutCreditor: 80_01n,
      payoutCollectionPartner: 20_00n,
      platformFee: 4_00n,
    });
    expect(() => computeSplit(100_02n, terms(20, 0.2), { payoutCreditor: 80_00n, payoutCollectionPartner: 20_00n }, 1n)).toThrow(DomainError);
    expect(() => computeSplit(100n, terms(20, 0.2), { payoutCreditor: 0n, payoutCollectionPartner: 101n }, 1n)).toThrow(DomainError);
  });

  it('always sums to the amount and never pays out more than it took in (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 14n }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (amount, feePpm, sharePpm) => {
          const split = computeSplit(amount, { successFeePpm: BigInt(feePpm), revenueSharePpm: BigInt(sharePpm) }, undefined, 1n);
          expect(split.payoutCreditor + split.payoutCollectionPartner).toBe(amount);
          expect(split.payoutCreditor >= 0n && split.payoutCollectionPartner >= 0n).toBe(true);
          expect(split.platformFee >= 0n && split.platformFee <= split.payoutCollectionPartner).toBe(true);
          // within half a minor unit of the exact product
          const exact2 = (amount * BigInt(feePpm) * 2n) / 1_000_000n;
          expect(split.payoutCollectionPartner * 2n - exact2 <= 1n && exact2 - split.payoutCollectionPartner * 2n <= 1n).toBe(true);
        },
      ),
    );
  });

  it('marks commission paid unless the creditor received the money', () => {
    expect(effectiveCommissionStatus('CollectionPartner', 'Unpaid')).toBe('Paid');
    expect(effectiveCommissionStatus('Platform', undefined)).toBe('Paid');
    expect(effectiveCommissionStatus('Creditor', undefined)).toBe('missing');
    expect(effectiveCommissionStatus('Creditor', 'Unpaid')).toBe('Unpaid');
    expect(commissionOwed('Creditor', 'Unpaid')).toBe(true);
    expect(commissionOwed('Creditor', 'Paid')).toBe(false);
  });

  it('picks the revenue share by engagement phase', () => {
    expect(revenueShareFor('Pre-legal', 400_000n, 200_000n)).toBe(400_000n);
    expect(revenueShareFor('Legal', 400_000n, 200_000n)).toBe(200_000n);
  });

  it('parses rates to ppm', () => {
    expect(parseRate(20.5, 100, 100)).toBe(205_000n);
    expect(parseRate(0.4, 1, 1)).toBe(400_000n);
    expect(parseRate(0.1234567, 1, 1)).toBeUndefined();
    expect(parseRate(101, 100, 100)).toBeUndefined();
    expect(parseRate(-1, 100, 100)).toBeUndefined();
  });
});
