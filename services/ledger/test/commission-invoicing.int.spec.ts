// Issue 14, the medium tier: the commission settlement (SPEC §4.5) and the invoicing run (SPEC §2,
// POST /admin/invoicing-runs) on the real PostgreSQL, without the other processes. A settlement marks a
// Creditor payment's commission Paid once (audit, event), refuses any other recipient; an invoicing run
// puts every payout not yet invoiced on one invoice per partner and currency, whose total is the exact
// sum of their platform fees, and freezes them: a correction of an invoiced payment changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePayment, settleCommission, updatePayment } from '../src/app/correct-payment';
import { runInvoicing } from '../src/app/invoicing';
import type { AccountRow } from '../src/infra/ledger.queries';
import { caseRefOf, envelope, ledgerHarness, T0, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('commission');
});
afterAll(() => h?.close());

const settle = (account: AccountRow, paymentId: string) =>
  settleCommission(h.ctx, { partnerId: account.partner_id, caseId: account.case_id, paymentId, actor: 'partner:test', requestId: 'req-s' });

describe('settleCommission', () => {
  it('marks an unpaid Creditor commission Paid, with a CommissionSettled audit entry and a commission.settled event; the split stays', async () => {
    const account = await h.openCase();
    const { payment } = await h.record(account.case_id, account.partner_id, { amount: 12_345n, recipient: 'Creditor', commissionStatus: 'Unpaid' });
    const at = new Date('2026-12-04T09:00:00.000Z');
    h.setNow(at);
    const out = await settle(account, payment.id);
    h.setNow(T0);
    expect(out.payment).toMatchObject({ commission_status: 'Paid', payout_creditor: '9814', payout_collection_partner: '2531', platform_fee: '1012' });
    const before = {
      id: payment.id,
      date: '2026-11-30',
      amount: '12345',
      recipient: 'Creditor',
      commissionStatus: 'Unpaid',
      payoutCreditor: '9814',
      payoutCollectionPartner: '2531',
      platformFee: '1012',
      invoiceId: null,
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    };
    const after = { ...before, commissionStatus: 'Paid', updatedAt: at.toISOString() };
    expect((await h.audit(account.case_id)).at(-1)).toEqual({ type: 'CommissionSettled', payment_id: payment.id, before, after, actor: 'partner:test', at });
    const events = await h.outbox(account.case_id);
    expect(events.map((e) => e.envelope.type)).toEqual(['payment.recorded', 'commission.settled']);
    expect(events[1]!.envelope).toEqual(envelope('commission.settled', account.case_id, { ...caseRefOf(account, 104_000n - 12_345n), payment: after }, at));
    // money did not move
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '12345', payment_count: 1 });
    expect((await h.journal(account.case_id)).map((j) => j.kind)).toEqual(['apply']);
  });

  it('settling again is a no-op: no second audit entry, no second event', async () => {
    const account = await h.openCase();
    const { payment } = await h.record(account.case_id, account.partner_id, { recipient: 'Creditor', commissionStatus: 'Unpaid' });
    await settle(account, payment.id);
    const before = await h.snapshotOf(account.case_id);
    expect((await settle(account, payment.id)).payment!.commission_status).toBe('Paid');
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
    // a Creditor payment recorded as Paid is settled already
    const paid = await h.record(account.case_id, account.partner_id, { recipient: 'Creditor', commissionStatus: 'Paid' });
    const after = await h.snapshotOf(account.case_id);
    await settle(account, paid.payment.id);
    expect(await h.snapshotOf(account.case_id)).toEqual(after);
  });

  it.each(['CollectionPartner', 'Platform'] as const)('a %s payment is refused (ValidationError on paymentRecipient)', async (recipient) => {
    const account = await h.openCase();
    const { payment } = await h.record(account.case_id, account.partner_id, { recipient });
    const before = await h.snapshotOf(account.case_id);
    await expect(settle(account, payment.id)).rejects.toMatchObject({ type: 'ValidationError', field: 'paymentRecipient' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it('an unknown payment is PaymentNotFound', async () => {
    const account = await h.openCase();
    await expect(settle(account, randomUUID())).rejects.toMatchObject({ type: 'PaymentNotFound' });
  });
});

describe('runInvoicing', () => {
  it('one invoice per partner and currency, totalling the exact platform fees; a second run invoices only what is new', async () => {
    const partnerId = randomUUID();
    const eur1 = await h.openCase({ partnerId, currency: 'EUR' });
    const eur2 = await h.openCase({ partnerId, currency: 'EUR', revenueSharePpm: 250_000n });
    const jpy = await h.openCase({ partnerId, currency: 'JPY' });
    await h.record(eur1.case_id, partnerId, { amount: 12_345n }); // fee 1012
    await h.record(eur1.case_id, partnerId, { amount: 10_000n, recipient: 'Creditor', commissionStatus: 'Unpaid' }); // fee 820
    await h.record(eur2.case_id, partnerId, { amount: 10_000n }); // 2050 × 0.25 = 512.5 → 513
    await h.record(jpy.case_id, partnerId, { amount: 333n }); // fee 27
    const first = await runInvoicing(h.ctx, partnerId);
    expect(first.invoicedPayouts).toBe(4);
    const byCurrency = Object.fromEntries(first.invoices.map((i) => [i.currency, i]));
    expect(Object.keys(byCurrency).sort()).toEqual(['EUR', 'JPY']);
    expect(byCurrency.EUR).toMatchObject({ partnerId, totalPlatformFee: 2_345n, payoutCount: 3 });
    expect(byCurrency.JPY).toMatchObject({ partnerId, totalPlatformFee: 27n, payoutCount: 1 });
    const { rows } = await h.db.raw<{ rows: { invoice_id: string; n: number; fees: string }[] }>(
      `SELECT invoice_id, count(*)::int AS n, sum(platform_fee)::text AS fees FROM ledger.payouts WHERE partner_id = ? GROUP BY invoice_id ORDER BY fees`,
      [partnerId],
    );
    expect(rows).toEqual([
      { invoice_id: byCurrency.EUR!.id, n: 3, fees: '2345' },
      { invoice_id: byCurrency.JPY!.id, n: 1, fees: '27' },
    ]);
    expect(await runInvoicing(h.ctx, partnerId)).toEqual({ invoicedPayouts: 0, invoices: [] });
    const fresh = await h.record(jpy.case_id, partnerId, { amount: 5_000n }); // fee 410
    const second = await runInvoicing(h.ctx, partnerId);
    expect(second).toMatchObject({ invoicedPayouts: 1, invoices: [{ partnerId, currency: 'JPY', totalPlatformFee: 410n, payoutCount: 1 }] });
    expect((await h.payments(jpy.case_id)).find((p) => p.id === fresh.payment.id)).toBeDefined();
  });

  it("a run for one partner leaves another partner's payouts alone; a run for all takes them", async () => {
    const mine = await h.openCase();
    const theirs = await h.openCase();
    await h.record(mine.case_id, mine.partner_id);
    const other = await h.record(theirs.case_id, theirs.partner_id);
    expect((await runInvoicing(h.ctx, mine.partner_id)).invoices.map((i) => i.partnerId)).toEqual([mine.partner_id]);
    const uninvoiced = () => h.db.raw<{ rows: unknown[] }>('SELECT 1 FROM ledger.payouts WHERE payment_id = ? AND invoice_id IS NULL', [other.payment.id]);
    expect((await uninvoiced()).rows).toHaveLength(1);
    const all = await runInvoicing(h.ctx, undefined);
    expect(all.invoices.find((i) => i.partnerId === theirs.partner_id)).toMatchObject({ currency: 'EUR', totalPlatformFee: 820n, payoutCount: 1 });
    expect(all.invoices.find((i) => i.partnerId === mine.partner_id)).toBeUndefined();
    expect((await uninvoiced()).rows).toEqual([]);
  });

  it('an invoiced payment is frozen: an edit or a delete is PaymentInvoiced and changes nothing; the others stay correctable', async () => {
    const account = await h.openCase();
    const { payment } = await h.record(account.case_id, account.partner_id, { amount: 10_000n, recipient: 'Creditor', commissionStatus: 'Unpaid' });
    const [invoice] = (await runInvoicing(h.ctx, account.partner_id)).invoices;
    const later = await h.record(account.case_id, account.partner_id, { amount: 2_000n });
    const before = await h.snapshotOf(account.case_id);
    const cmd = { partnerId: account.partner_id, caseId: account.case_id, paymentId: payment.id, reopenConsent: true, actor: 'partner:test' };
    await expect(
      updatePayment(h.ctx, { ...cmd, date: '2026-11-30', amount: 1n, recipient: 'Creditor', commissionStatus: 'Unpaid', explicitSplit: undefined }),
    ).rejects.toMatchObject({ type: 'PaymentInvoiced' });
    await expect(deletePayment(h.ctx, cmd)).rejects.toMatchObject({ type: 'PaymentInvoiced' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
    // the frozen payout shows its invoice; settling its commission is still allowed (no money moves)
    expect((await settle(account, payment.id)).payment).toMatchObject({ invoice_id: invoice!.id, commission_status: 'Paid' });
    await deletePayment(h.ctx, { ...cmd, paymentId: later.payment.id });
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '10000', payment_count: 1 });
    await h.expectJournalBalanced(account.case_id);
  });
});
