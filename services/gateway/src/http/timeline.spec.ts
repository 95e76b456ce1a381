import { describe, expect, it } from 'vitest';
import { timeline, type StoredEntry } from './timeline';

const facts = {
  reference: 'AB12CD34',
  currency: 'EUR',
  createdAt: '2026-11-01T09:00:00.000Z',
  grossAmount: '100000',
  interestFees: '1050',
  reminderFees: '0',
  collectionFees: '0',
  createdBy: { type: 'Operator' as const, name: 'Platform operator' },
};
const payment = {
  id: 'p1',
  date: '2026-11-02',
  amount: '30000',
  recipient: 'CollectionPartner',
  commissionStatus: 'Paid',
  payoutCreditor: '24000',
  payoutCollectionPartner: '6000',
  platformFee: '2400',
  invoiceId: null,
  createdAt: 't',
  updatedAt: 't',
};
const entry = (type: string, before: unknown, after: unknown, at = '2026-11-02T10:00:00.000Z'): StoredEntry => ({
  type,
  beforeJson: before === null ? '' : JSON.stringify(before),
  afterJson: after === null ? '' : JSON.stringify(after),
  actor: 'Partner Co',
  at,
});

describe('the timeline of a case', () => {
  it('starts with the creation, then one item per audit entry in order, amounts as the API shows money', () => {
    const fees = { grossAmount: '100000', interestFees: '1050', reminderFees: '0', collectionFees: '0', totalAddedFees: '1050', remainder: '71050' };
    const items = timeline(facts, [
      entry('PaymentRecorded', null, payment),
      entry('PaymentUpdated', payment, { ...payment, amount: '25000', date: '2026-11-03' }),
      entry('FeesUpdated', fees, { ...fees, interestFees: '2300', totalAddedFees: '2300', remainder: '77300' }),
      entry('CommissionSettled', { ...payment, recipient: 'Creditor', commissionStatus: 'Unpaid' }, { ...payment, recipient: 'Creditor' }),
      entry('CaseClosed', { lifecycle: 'Active', closeCode: null }, { lifecycle: 'Closed', closeCode: 'Paid', remainder: '0' }),
      entry('CaseReopened', { lifecycle: 'Closed', closeCode: 'Paid' }, { lifecycle: 'Active', closeCode: null, remainder: '5000' }),
      entry('PaymentDeleted', payment, null),
    ]);
    expect(items.map((i) => i.type)).toEqual([
      'CaseCreated',
      'PaymentRecorded',
      'PaymentUpdated',
      'FeesUpdated',
      'CommissionSettled',
      'CaseClosed',
      'CaseReopened',
      'PaymentDeleted',
    ]);
    expect(items[0]).toEqual({
      date: facts.createdAt,
      type: 'CaseCreated',
      title: 'Case created',
      description: 'Case AB12CD34 created with a principal of 1000 EUR and added fees of 10.5 EUR.',
      actor: facts.createdBy,
    });
    expect(items[1]!.description).toBe(
      'Payment of 300 EUR dated 2026-11-02 recorded, paid to the collection partner: 240 EUR to the creditor, 60 EUR to the collection partner.',
    );
    expect(items[2]!.description).toBe(
      'Payment of 300 EUR dated 2026-11-02 (paid to the collection partner) corrected to 250 EUR dated 2026-11-03 (paid to the collection partner).',
    );
    expect(items[3]!.description).toBe('Interest fees 10.5 EUR → 23 EUR; total added fees 10.5 EUR → 23 EUR; remainder 710.5 EUR → 773 EUR.');
    expect(items[5]!.description).toBe('Closed as Paid (Full payment received from debtor) with a remainder of 0 EUR.');
    expect(items[6]!.description).toBe('Reopened from Paid by a payment correction; remainder 50 EUR.');
    expect(items[7]!.description).toBe('Payment of 300 EUR dated 2026-11-02 deleted.');
    for (const item of items.slice(1)) expect(item.actor).toEqual({ type: 'Partner', name: 'Partner Co' });
    // never minor units or the ledger's names
    const text = JSON.stringify(items);
    for (const internal of ['30000', '24000', '71050', 'amount', 'recipient']) expect(text).not.toContain(`${internal} `);
  });

  it('writes amounts in the digits of the currency', () => {
    const [created] = timeline({ ...facts, currency: 'KWD', grossAmount: '10125', interestFees: '0' }, []);
    expect(created!.description).toBe('Case AB12CD34 created with a principal of 10.125 KWD and added fees of 0 KWD.');
  });
});
