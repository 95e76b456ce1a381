import { describe, expect, it } from 'vitest';
import { auditValues } from './audit';

describe('audit values as the API shows them', () => {
  it('a payment snapshot: the API names, major units of the currency, the answer date', () => {
    const stored = {
      id: 'p1',
      date: '2026-11-02',
      amount: '30000',
      recipient: 'Creditor',
      commissionStatus: 'Unpaid',
      payoutCreditor: '24000',
      payoutCollectionPartner: '6000',
      platformFee: '2400',
      invoiceId: null,
      createdAt: 't1',
      updatedAt: 't2',
    };
    expect(auditValues(stored, 'EUR')).toEqual({
      id: 'p1',
      date: '2026-11-02T00:00:00Z',
      paymentAmount: 300,
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Unpaid',
      payoutCreditor: 240,
      payoutCollectionPartner: 60,
      platformFee: 24,
      platformInvoiceId: null,
      invoiced: false,
      dateCreated: 't1',
      dateUpdated: 't2',
    });
    expect(auditValues({ ...stored, amount: '1250' }, 'JPY')).toMatchObject({ paymentAmount: 1250 });
    expect(auditValues({ ...stored, amount: '1250', invoiceId: 'inv' }, 'KWD')).toMatchObject({
      paymentAmount: 1.25,
      invoiced: true,
      platformInvoiceId: 'inv',
    });
  });

  it('lifecycle values: the remainder in major units, the rest as stored; null stays null', () => {
    expect(auditValues({ lifecycle: 'Closed', closeCode: 'Paid', comment: 'done', remainder: '-150' }, 'EUR')).toEqual({
      lifecycle: 'Closed',
      closeCode: 'Paid',
      comment: 'done',
      remainder: -1.5,
    });
    expect(auditValues({ lifecycle: 'Active', closeCode: null }, 'EUR')).toEqual({ lifecycle: 'Active', closeCode: null });
    expect(auditValues(null, 'EUR')).toBeNull();
  });
});

describe('FeesUpdated values as the API shows them', () => {
  it('the amounts in major units under their API names', () => {
    const stored = { grossAmount: '100000', interestFees: '1250', reminderFees: '0', collectionFees: '500', totalAddedFees: '1750', remainder: '-150' };
    expect(auditValues(stored, 'EUR')).toEqual({
      grossAmount: 1000,
      interestFees: 12.5,
      reminderFees: 0,
      collectionFees: 5,
      totalAddedFees: 17.5,
      remainder: -1.5,
    });
  });
});
