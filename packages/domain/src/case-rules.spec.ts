import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AccountState,
  CLOSE_CODE_NAMES,
  decideClose,
  decideCorrection,
  decideFeeChange,
  decideRecord,
  paymentWarnings,
  remainderOf,
  totalAddedFees,
} from './case-rules';

const account = (over: Partial<AccountState> = {}): AccountState => ({
  lifecycle: 'Active',
  closeCode: null,
  grossAmount: 1000n,
  totalFees: 0n,
  totalPayments: 0n,
  paymentCount: 0,
  ...over,
});
const errorType = (d: { ok: boolean; error?: { type: string } }) => (d.ok ? 'ok' : d.error?.type);

describe('recording', () => {
  it('refuses closed cases and closes only a settling payment', () => {
    expect(errorType(decideRecord(account({ lifecycle: 'Closed', closeCode: 'Other' }), 1n, false))).toBe('CaseClosed');
    expect(decideRecord(account(), 999n, true)).toEqual({ ok: true, value: { closeAsPaid: false, remainderAfter: 1n } });
    expect(decideRecord(account(), 1000n, true)).toEqual({ ok: true, value: { closeAsPaid: true, remainderAfter: 0n } });
    expect(decideRecord(account(), 1200n, false)).toEqual({ ok: true, value: { closeAsPaid: false, remainderAfter: -200n } });
    expect(decideRecord(account({ lifecycle: 'Paused' }), 1n, false).ok).toBe(true);
  });
});

describe('closing', () => {
  it('applies the rules of Paid and PartiallyPaid', () => {
    expect(errorType(decideClose(account(), 'Paid'))).toBe('CloseCodeNotAllowed');
    expect(errorType(decideClose(account({ paymentCount: 1, totalPayments: 999n }), 'Paid'))).toBe('CloseCodeNotAllowed');
    expect(errorType(decideClose(account({ paymentCount: 1, totalPayments: 1000n }), 'Paid'))).toBe('ok');
    expect(errorType(decideClose(account(), 'PartiallyPaid'))).toBe('CloseCodeNotAllowed');
    expect(errorType(decideClose(account({ paymentCount: 1, totalPayments: 1000n }), 'PartiallyPaid'))).toBe('CloseCodeNotAllowed');
    expect(errorType(decideClose(account({ paymentCount: 1, totalPayments: 10n }), 'PartiallyPaid'))).toBe('ok');
    for (const code of CLOSE_CODE_NAMES.filter((c) => c !== 'Paid' && c !== 'PartiallyPaid')) {
      expect(errorType(decideClose(account(), code))).toBe('ok');
    }
    expect(errorType(decideClose(account({ lifecycle: 'Closed', closeCode: 'Other' }), 'Other'))).toBe('CaseAlreadyClosed');
  });
});

describe('corrections', () => {
  const paid = account({ lifecycle: 'Closed', closeCode: 'Paid', paymentCount: 1, totalPayments: 1000n });
  it('freezes invoiced payments before anything else', () => {
    expect(errorType(decideCorrection(paid, { totalPaymentsAfter: 0n, invoiced: true, reopenConsent: true }))).toBe('PaymentInvoiced');
  });
  it('needs consent to reopen a Paid case, and reopens with it', () => {
    expect(errorType(decideCorrection(paid, { totalPaymentsAfter: 0n, invoiced: false, reopenConsent: false }))).toBe('ReopenConsentRequired');
    expect(decideCorrection(paid, { totalPaymentsAfter: 0n, invoiced: false, reopenConsent: true })).toEqual({
      ok: true,
      value: { reopen: true, remainderAfter: 1000n },
    });
    expect(decideCorrection(paid, { totalPaymentsAfter: 1500n, invoiced: false, reopenConsent: false })).toEqual({
      ok: true,
      value: { reopen: false, remainderAfter: -500n },
    });
  });
  it('never reopens other close codes or open cases', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CLOSE_CODE_NAMES, null), fc.bigInt({ min: 0n, max: 5000n }), fc.boolean(), (code, after, consent) => {
        const state = code === null ? account() : account({ lifecycle: 'Closed', closeCode: code, totalPayments: 1000n, paymentCount: 1 });
        const d = decideCorrection(state, { totalPaymentsAfter: after, invoiced: false, reopenConsent: consent });
        const mustAsk = code === 'Paid' && 1000n - after > 0n;
        expect(d.ok).toBe(!mustAsk || consent);
        if (d.ok) expect(d.value.reopen).toBe(mustAsk);
        if (d.ok) expect(d.value.remainderAfter).toBe(remainderOf({ ...state, totalPayments: after }));
      }),
    );
  });
});

describe('warnings', () => {
  it('warns only on explicit splits', () => {
    expect(paymentWarnings(false, 0n, 0n)).toEqual([]);
    expect(paymentWarnings(true, 0n, 10n)).toHaveLength(1);
    expect(paymentWarnings(true, 5n, 0n)).toHaveLength(1);
    expect(paymentWarnings(true, 0n, -1n)).toHaveLength(2);
    expect(paymentWarnings(true, 5n, 10n)).toEqual([]);
  });
});

describe('changing the fees (SPEC §10)', () => {
  const current = { grossAmount: 1000n, interestFees: 10n, reminderFees: 20n, collectionFees: 30n };
  it('replaces each given amount and keeps the omitted ones', () => {
    expect(decideFeeChange('Active', current, { reminderFees: 0n })).toEqual({ ok: true, value: { ...current, reminderFees: 0n } });
    expect(decideFeeChange('Paused', current, { grossAmount: 5n, interestFees: 7n, collectionFees: 1n })).toEqual({
      ok: true,
      value: { grossAmount: 5n, interestFees: 7n, reminderFees: 20n, collectionFees: 1n },
    });
    expect(decideFeeChange('Active', current, {})).toEqual({ ok: true, value: current });
    expect(totalAddedFees(current)).toBe(60n);
  });
  it('refuses a closed case and a negative amount', () => {
    expect(errorType(decideFeeChange('Closed', current, { interestFees: 1n }))).toBe('CaseClosed');
    expect(errorType(decideFeeChange('Active', current, { collectionFees: -1n }))).toBe('ValidationError');
  });
  it('moves the remainder by exactly the change in principal and fees', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (gross, fee, paid) => {
          const d = decideFeeChange('Active', current, { grossAmount: gross, interestFees: fee });
          if (!d.ok) return false;
          const before = remainderOf({ grossAmount: current.grossAmount, totalFees: totalAddedFees(current), totalPayments: paid });
          const after = remainderOf({ grossAmount: d.value.grossAmount, totalFees: totalAddedFees(d.value), totalPayments: paid });
          return after - before === gross - current.grossAmount + (fee - current.interestFees);
        },
      ),
    );
  });
});
