// Issue 14, the medium tier: updatePayment and deletePayment on the real PostgreSQL, without the other
// processes (SPEC §4.4). An edit is a reversal plus a re-application, a delete a reversal: the journal
// keeps both and still adds up; the split and the balance are recomputed; the commission status is kept
// when an edit leaves it out; an unknown payment is PaymentNotFound; what is written (audit, events) is
// exact. Two corrections racing on one case are serialized by the account lock.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePayment, updatePayment, type UpdatePaymentCommand } from '../src/app/correct-payment';
import type { AccountRow } from '../src/infra/ledger.queries';
import { caseRefOf, envelope, ledgerHarness, T0, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('correct');
});
afterAll(() => h?.close());

const edit = (account: AccountRow, paymentId: string, over: Partial<UpdatePaymentCommand> = {}) =>
  updatePayment(h.ctx, {
    partnerId: account.partner_id,
    caseId: account.case_id,
    paymentId,
    date: '2026-11-30',
    amount: 10_000n,
    recipient: 'CollectionPartner',
    commissionStatus: undefined,
    explicitSplit: undefined,
    reopenConsent: false,
    actor: 'partner:test',
    ...over,
  });

const remove = (account: AccountRow, paymentId: string, over: { reopenConsent?: boolean; requestId?: string } = {}) =>
  deletePayment(h.ctx, { partnerId: account.partner_id, caseId: account.case_id, paymentId, reopenConsent: false, actor: 'partner:test', ...over });

/** A case owing 104000 with one payment of 10000 (split 7950 / 2050 / 820). */
async function caseWithPayment(over: Parameters<LedgerHarness['openCase']>[0] = {}) {
  const account = await h.openCase(over);
  const { payment } = await h.record(account.case_id, account.partner_id, { amount: 10_000n });
  return { account, payment };
}

describe('updatePayment', () => {
  it('recomputes the split and the balance; the journal reverses the old posting and applies the new one', async () => {
    const { account, payment } = await caseWithPayment();
    const out = await edit(account, payment.id, { amount: 12_345n, date: '2026-11-01' });
    expect(out.payment).toMatchObject({
      amount: '12345',
      date: '2026-11-01',
      payout_creditor: '9814',
      payout_collection_partner: '2531',
      platform_fee: '1012',
    });
    expect(out.account).toMatchObject({ total_payments: '12345', payment_count: 1, lifecycle: 'Active' });
    expect(out.accountChanges).toEqual([]);
    expect(await h.journal(account.case_id)).toEqual([
      { payment_id: payment.id, kind: 'apply', amount: '10000', payout_creditor: '7950', payout_collection_partner: '2050', platform_fee: '820' },
      { payment_id: payment.id, kind: 'reverse', amount: '-10000', payout_creditor: '-7950', payout_collection_partner: '-2050', platform_fee: '-820' },
      { payment_id: payment.id, kind: 'apply', amount: '12345', payout_creditor: '9814', payout_collection_partner: '2531', platform_fee: '1012' },
    ]);
    await h.expectJournalBalanced(account.case_id);
  });

  it('an explicit split on edit is taken within 0.01, the creditor absorbing the cent', async () => {
    const { account, payment } = await caseWithPayment();
    const out = await edit(account, payment.id, { amount: 10_000n, explicitSplit: { payoutCreditor: 6_999n, payoutCollectionPartner: 3_000n } });
    expect(out.payment).toMatchObject({ payout_creditor: '7000', payout_collection_partner: '3000', platform_fee: '1200' });
    await expect(edit(account, payment.id, { explicitSplit: { payoutCreditor: 6_998n, payoutCollectionPartner: 3_000n } })).rejects.toMatchObject({
      type: 'ValidationError',
      field: 'payoutCreditor',
    });
    expect((await h.payments(account.case_id))[0]).toMatchObject({ payout_creditor: '7000', payout_collection_partner: '3000', platform_fee: '1200' });
    await h.expectJournalBalanced(account.case_id);
  });

  it("an edit that leaves the commission status out keeps the Creditor payment's status; to another recipient it is Paid", async () => {
    const account = await h.openCase();
    const { payment } = await h.record(account.case_id, account.partner_id, { recipient: 'Creditor', commissionStatus: 'Unpaid' });
    expect((await edit(account, payment.id, { recipient: 'Creditor', amount: 9_000n })).payment!.commission_status).toBe('Unpaid');
    expect((await edit(account, payment.id, { recipient: 'Creditor', commissionStatus: 'Paid' })).payment!.commission_status).toBe('Paid');
    expect((await edit(account, payment.id, { recipient: 'Creditor' })).payment!.commission_status).toBe('Paid');
    const other = await h.record(account.case_id, account.partner_id, { recipient: 'Creditor', commissionStatus: 'Unpaid' });
    expect((await edit(account, other.payment.id, { recipient: 'CollectionPartner', commissionStatus: 'Unpaid' })).payment!.commission_status).toBe('Paid');
    // from another recipient to Creditor the status must be given
    await expect(edit(account, other.payment.id, { recipient: 'Creditor' })).rejects.toMatchObject({
      type: 'ValidationError',
      field: 'commissionPaymentStatus',
    });
  });

  it('writes a PaymentUpdated audit entry with both sides and a payment.updated event with the new remainder', async () => {
    const { account, payment } = await caseWithPayment({ currency: 'JPY' });
    h.setNow(new Date('2026-12-03T12:00:00.000Z'));
    await edit(account, payment.id, { amount: 333n, recipient: 'Creditor', commissionStatus: 'Unpaid', actor: 'operator:7', requestId: 'req-e' });
    h.setNow(T0);
    const before = {
      id: payment.id,
      date: '2026-11-30',
      amount: '10000',
      recipient: 'CollectionPartner',
      commissionStatus: 'Paid',
      payoutCreditor: '7950',
      payoutCollectionPartner: '2050',
      platformFee: '820',
      invoiceId: null,
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    };
    const after = {
      ...before,
      amount: '333',
      recipient: 'Creditor',
      commissionStatus: 'Unpaid',
      payoutCreditor: '265',
      payoutCollectionPartner: '68',
      platformFee: '27',
      updatedAt: '2026-12-03T12:00:00.000Z',
    };
    const audit = await h.audit(account.case_id);
    expect(audit.map((a) => a.type)).toEqual(['PaymentRecorded', 'PaymentUpdated']);
    expect(audit[1]).toEqual({ type: 'PaymentUpdated', payment_id: payment.id, before, after, actor: 'operator:7', at: new Date('2026-12-03T12:00:00.000Z') });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'payment.updated']);
    expect(events[1]!.headers).toEqual({ 'x-request-id': 'req-e' });
    expect(events[1]!.envelope).toEqual(
      envelope('payment.updated', account.case_id, { ...caseRefOf(account, 104_000n - 333n), before, payment: after }, new Date('2026-12-03T12:00:00.000Z')),
    );
  });

  it('an unknown payment, or one of another case or partner, is PaymentNotFound and changes nothing', async () => {
    const { account, payment } = await caseWithPayment();
    const other = await h.openCase({ partnerId: account.partner_id });
    const before = await h.snapshotOf(account.case_id);
    await expect(edit(account, randomUUID())).rejects.toMatchObject({ type: 'PaymentNotFound' });
    await expect(edit(other, payment.id)).rejects.toMatchObject({ type: 'PaymentNotFound' });
    await expect(edit({ ...account, partner_id: randomUUID() }, payment.id)).rejects.toMatchObject({ type: 'PaymentNotFound' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('deletePayment', () => {
  it('reverses the posting, removes the payment and its payout, and gives the amount back to the balance', async () => {
    const { account, payment } = await caseWithPayment();
    const kept = await h.record(account.case_id, account.partner_id, { amount: 4_000n });
    const out = await remove(account, payment.id, { requestId: 'req-d' });
    expect(out.payment).toBeUndefined();
    expect(out.account).toMatchObject({ total_payments: '4000', payment_count: 1, lifecycle: 'Active' });
    expect((await h.payments(account.case_id)).map((p) => p.id)).toEqual([kept.payment.id]);
    const { rows } = await h.db.raw<{ rows: unknown[] }>('SELECT * FROM ledger.payouts WHERE payment_id = ?', [payment.id]);
    expect(rows).toEqual([]);
    expect((await h.journal(account.case_id)).filter((j) => j.payment_id === payment.id)).toEqual([
      { payment_id: payment.id, kind: 'apply', amount: '10000', payout_creditor: '7950', payout_collection_partner: '2050', platform_fee: '820' },
      { payment_id: payment.id, kind: 'reverse', amount: '-10000', payout_creditor: '-7950', payout_collection_partner: '-2050', platform_fee: '-820' },
    ]);
    await h.expectJournalBalanced(account.case_id);
  });

  it('keeps the deleted values in a PaymentDeleted audit entry and a payment.deleted event', async () => {
    const { account, payment } = await caseWithPayment();
    await remove(account, payment.id, { requestId: 'req-d' });
    const deleted = {
      id: payment.id,
      date: '2026-11-30',
      amount: '10000',
      recipient: 'CollectionPartner',
      commissionStatus: 'Paid',
      payoutCreditor: '7950',
      payoutCollectionPartner: '2050',
      platformFee: '820',
      invoiceId: null,
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    };
    expect((await h.audit(account.case_id))[1]).toEqual({
      type: 'PaymentDeleted',
      payment_id: payment.id,
      before: deleted,
      after: null,
      actor: 'partner:test',
      at: T0,
    });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'payment.deleted']);
    expect(events[1]!.envelope).toEqual(envelope('payment.deleted', account.case_id, { ...caseRefOf(account, 104_000n), payment: deleted }));
  });

  it('a second delete is PaymentNotFound and writes nothing', async () => {
    const { account, payment } = await caseWithPayment();
    await remove(account, payment.id);
    const before = await h.snapshotOf(account.case_id);
    await expect(remove(account, payment.id)).rejects.toMatchObject({ type: 'PaymentNotFound' });
    await expect(edit(account, payment.id)).rejects.toMatchObject({ type: 'PaymentNotFound' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('concurrent corrections on one case', () => {
  it('two edits of one payment serialize: the last one wins whole, and the journal and balance agree with it', async () => {
    const { account, payment } = await caseWithPayment();
    await Promise.all([edit(account, payment.id, { amount: 20_000n }), edit(account, payment.id, { amount: 30_000n })]);
    const [now] = await h.payments(account.case_id);
    expect(['20000', '30000']).toContain(now!.amount);
    const split = now!.amount === '20000' ? ['15900', '4100', '1640'] : ['23850', '6150', '2460'];
    expect([now!.payout_creditor, now!.payout_collection_partner, now!.platform_fee]).toEqual(split);
    expect((await h.account(account.case_id)).total_payments).toBe(now!.amount);
    // each edit reversed what the one before it had applied
    const journal = await h.journal(account.case_id);
    expect(journal.map((j) => [j.kind, j.amount])).toEqual(
      now!.amount === '30000'
        ? [
            ['apply', '10000'],
            ['reverse', '-10000'],
            ['apply', '20000'],
            ['reverse', '-20000'],
            ['apply', '30000'],
          ]
        : [
            ['apply', '10000'],
            ['reverse', '-10000'],
            ['apply', '30000'],
            ['reverse', '-30000'],
            ['apply', '20000'],
          ],
    );
    await h.expectJournalBalanced(account.case_id);
  });

  it('an edit, a delete and a record racing on one case leave the balance their sum', async () => {
    const account = await h.openCase();
    const a = (await h.record(account.case_id, account.partner_id, { amount: 10_000n })).payment;
    const b = (await h.record(account.case_id, account.partner_id, { amount: 20_000n })).payment;
    await Promise.all([edit(account, a.id, { amount: 15_000n }), remove(account, b.id), h.record(account.case_id, account.partner_id, { amount: 1_000n })]);
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '16000', payment_count: 2 });
    await h.expectJournalBalanced(account.case_id);
  });

  it('two deletes of one payment: one deletes, the other is PaymentNotFound; it is reversed once', async () => {
    const { account, payment } = await caseWithPayment();
    const results = await Promise.allSettled([remove(account, payment.id), remove(account, payment.id)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { type: 'PaymentNotFound' } });
    expect((await h.journal(account.case_id)).map((j) => j.kind)).toEqual(['apply', 'reverse']);
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '0', payment_count: 0 });
    expect((await h.audit(account.case_id)).map((e) => e.type)).toEqual(['PaymentRecorded', 'PaymentDeleted']);
  });
});
