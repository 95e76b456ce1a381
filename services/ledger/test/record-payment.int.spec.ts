// Issue 14, the medium tier: recordPayment on the real PostgreSQL, without the other processes. The
// balance a payment leaves (over-payment included), what one record writes in its one transaction
// (payment, payout, journal posting, audit entry, outbox event) and nothing when it is refused or rolled
// back, and the ledger's own idempotency key (SPEC §4.2: same request, same answer; another, a conflict).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@pp/events';
import type { TxContext } from '@pp/platform';
import type { LedgerContext } from '../src/app/context';
import { recordPayment } from '../src/app/record-payment';
import { caseRefOf, envelope, ledgerHarness, T0, type LedgerHarness } from './ledger-harness';

let h: LedgerHarness;
beforeAll(async () => {
  h = await ledgerHarness('record');
});
afterAll(() => h?.close());

// The default case owes 100000 + 1000 + 500 + 2500 = 104000 minor units.
const OWED = 104_000n;

describe('the balance after a record', () => {
  it('each payment lowers the remainder by its amount; totals and count follow', async () => {
    const account = await h.openCase();
    const first = await h.record(account.case_id, account.partner_id, { amount: 30_000n });
    expect(first.result).toEqual({ caseClosed: false, closeCode: null, remainder: '74000', warnings: [] });
    const second = await h.record(account.case_id, account.partner_id, { amount: 4_000n, recipient: 'Creditor', commissionStatus: 'Unpaid' });
    expect(second.result.remainder).toBe('70000');
    expect(second.account).toMatchObject({ total_payments: '34000', payment_count: 2, lifecycle: 'Active' });
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '34000', payment_count: 2, gross_amount: '100000', total_fees: '4000' });
    await h.expectJournalBalanced(account.case_id);
  });

  it('over-payment is recorded: the remainder goes negative and the case stays Active without closeCase', async () => {
    const account = await h.openCase();
    const out = await h.record(account.case_id, account.partner_id, { amount: OWED + 5_000n });
    expect(out.result).toEqual({ caseClosed: false, closeCode: null, remainder: '-5000', warnings: [] });
    const more = await h.record(account.case_id, account.partner_id, { amount: 1n });
    expect(more.result.remainder).toBe('-5001');
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Active', close_code: null, total_payments: '109001', payment_count: 2 });
  });

  it('a payment on a Paused case is recorded (only Closed refuses)', async () => {
    const account = await h.openCase();
    await h.db.raw(`UPDATE ledger.accounts SET lifecycle = 'Paused' WHERE case_id = ?`, [account.case_id]);
    const out = await h.record(account.case_id, account.partner_id, { amount: 4_000n });
    expect(out.result.remainder).toBe('100000');
    expect(await h.account(account.case_id)).toMatchObject({ lifecycle: 'Paused', total_payments: '4000' });
  });

  it("an unknown case, or another partner's, is CaseNotFound and writes nothing", async () => {
    const account = await h.openCase();
    const before = await h.snapshotOf(account.case_id);
    await expect(h.record(account.case_id, randomUUID())).rejects.toMatchObject({ type: 'CaseNotFound' });
    await expect(h.record(randomUUID(), account.partner_id)).rejects.toMatchObject({ type: 'CaseNotFound' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });
});

describe('what one record writes, in one transaction', () => {
  it('the payment and payout, one apply posting, a PaymentRecorded audit entry and a payment.recorded event', async () => {
    const account = await h.openCase({ currency: 'KWD', isTest: true });
    const nudges = h.nudges();
    h.setNow(new Date('2026-12-02T08:30:00.000Z'));
    const out = await h.record(account.case_id, account.partner_id, {
      amount: 1_125n,
      date: '2026-11-28',
      recipient: 'Creditor',
      commissionStatus: 'Unpaid',
      createFollowUp: false,
      actor: 'partner:42',
      requestId: 'req-1',
    });
    h.setNow(T0);
    const at = '2026-12-02T08:30:00.000Z';
    const snapshot = {
      id: out.payment.id,
      date: '2026-11-28',
      amount: '1125',
      recipient: 'Creditor',
      commissionStatus: 'Unpaid',
      payoutCreditor: '894',
      payoutCollectionPartner: '231',
      platformFee: '92',
      invoiceId: null,
      createdAt: at,
      updatedAt: at,
    };
    expect(await h.journal(account.case_id)).toEqual([
      { payment_id: out.payment.id, kind: 'apply', amount: '1125', payout_creditor: '894', payout_collection_partner: '231', platform_fee: '92' },
    ]);
    expect(await h.audit(account.case_id)).toEqual([
      { type: 'PaymentRecorded', payment_id: out.payment.id, before: null, after: snapshot, actor: 'partner:42', at: new Date(at) },
    ]);
    const events = await h.outbox(account.case_id);
    expect(events).toEqual([
      {
        topic: TOPICS.paymentEvents,
        key: account.case_id,
        headers: { 'x-request-id': 'req-1' },
        envelope: envelope(
          'payment.recorded',
          account.case_id,
          { ...caseRefOf(account, OWED - 1_125n), payment: snapshot, createFollowUp: false },
          new Date(at),
        ),
      },
    ]);
    expect(h.nudges()).toBe(nudges + 1);
    const { rows } = await h.db.raw<{ rows: { currency: string; partner_id: string; invoice_id: null }[] }>(
      'SELECT currency, partner_id, invoice_id FROM ledger.payouts WHERE payment_id = ?',
      [out.payment.id],
    );
    expect(rows).toEqual([{ currency: 'KWD', partner_id: account.partner_id, invoice_id: null }]);
  });

  it('a record whose transaction rolls back leaves no payment, posting, audit entry or event behind', async () => {
    const account = await h.openCase();
    const before = await h.snapshotOf(account.case_id);
    // the same unit of work, failing after the use case's work: the commit never happens
    const failing: LedgerContext = {
      ...h.ctx,
      uow: {
        run: (work: (tx: TxContext) => Promise<unknown>) =>
          h.ctx.uow.run(async (tx) => {
            await work(tx);
            throw new Error('fail after the work');
          }),
      } as unknown as LedgerContext['uow'],
    };
    await expect(
      recordPayment(failing, {
        partnerId: account.partner_id,
        caseId: account.case_id,
        date: '2026-11-30',
        amount: 5_000n,
        recipient: 'CollectionPartner',
        commissionStatus: undefined,
        explicitSplit: undefined,
        closeCase: true,
        createFollowUp: true,
        idempotencyKey: 'k-rollback',
        actor: 'partner:test',
      }),
    ).rejects.toThrow('fail after the work');
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
    // and the key is still free: the same request now records once
    const out = await h.record(account.case_id, account.partner_id, { amount: 5_000n, idempotencyKey: 'k-rollback' });
    expect(out.replayed).toBe(false);
    expect(out.result.remainder).toBe('99000');
  });
});

describe("the ledger's idempotency key", () => {
  it('the same key and request give the first answer again, and nothing is written twice', async () => {
    const account = await h.openCase();
    const cmd = { amount: 12_345n, idempotencyKey: `k-${randomUUID()}`, recipient: 'Creditor', commissionStatus: 'Unpaid' } as const;
    const first = await h.record(account.case_id, account.partner_id, cmd);
    const written = await h.snapshotOf(account.case_id);
    // a payment in between changes the balance, but not the replayed answer
    await h.record(account.case_id, account.partner_id, { amount: 1_000n });
    const again = await h.record(account.case_id, account.partner_id, cmd);
    expect(again.replayed).toBe(true);
    expect(again.payment.id).toBe(first.payment.id);
    expect(again.result).toEqual(first.result);
    expect(again.result.remainder).toBe('91655');
    expect(again.payment).toMatchObject({ payout_creditor: '9814', payout_collection_partner: '2531', platform_fee: '1012' });
    expect(again.accountChanges).toEqual([]);
    const now = (await h.snapshotOf(account.case_id)) as { payments: unknown[]; outbox: unknown[]; audit: unknown[] };
    expect(now.payments).toHaveLength(2);
    expect(now.outbox).toHaveLength((written as { outbox: unknown[] }).outbox.length + 1);
    expect(now.audit).toHaveLength(2);
    expect((await h.account(account.case_id)).total_payments).toBe('13345');
  });

  it.each([
    ['amount', { amount: 12_346n }],
    ['date', { date: '2026-11-29' }],
    ['recipient', { recipient: 'Platform' as const }],
    ['commission status', { commissionStatus: 'Paid' as const }],
    ['explicit split', { explicitSplit: { payoutCreditor: 10_000n, payoutCollectionPartner: 2_345n } }],
    ['closeCase', { closeCase: true }],
    ['createFollowUp', { createFollowUp: false }],
  ])('the same key with another %s is IdempotencyConflict; nothing is written', async (_what, change) => {
    const account = await h.openCase();
    const cmd = { amount: 12_345n, idempotencyKey: `k-${randomUUID()}`, recipient: 'Creditor', commissionStatus: 'Unpaid' } as const;
    await h.record(account.case_id, account.partner_id, cmd);
    const before = await h.snapshotOf(account.case_id);
    await expect(h.record(account.case_id, account.partner_id, { ...cmd, ...change })).rejects.toMatchObject({ type: 'IdempotencyConflict' });
    expect(await h.snapshotOf(account.case_id)).toEqual(before);
  });

  it("the same key on another case of the partner is IdempotencyConflict; another partner's key is its own", async () => {
    const account = await h.openCase();
    const other = await h.openCase({ partnerId: account.partner_id });
    const stranger = await h.openCase();
    const key = `k-${randomUUID()}`;
    await h.record(account.case_id, account.partner_id, { idempotencyKey: key });
    await expect(h.record(other.case_id, account.partner_id, { idempotencyKey: key })).rejects.toMatchObject({ type: 'IdempotencyConflict' });
    expect(await h.payments(other.case_id)).toEqual([]);
    const theirs = await h.record(stranger.case_id, stranger.partner_id, { idempotencyKey: key });
    expect(theirs.replayed).toBe(false);
    expect(await h.payments(stranger.case_id)).toHaveLength(1);
  });

  it('concurrent first requests with one key record one payment; both answer it', async () => {
    const account = await h.openCase();
    const cmd = { amount: 2_000n, idempotencyKey: `k-${randomUUID()}` };
    const answers = await Promise.all([1, 2, 3].map(() => h.record(account.case_id, account.partner_id, cmd)));
    expect(new Set(answers.map((a) => a.payment.id)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(answers.map((a) => a.result.remainder)).toEqual(['102000', '102000', '102000']);
    expect(await h.payments(account.case_id)).toHaveLength(1);
    expect((await h.outbox(account.case_id)).map((e) => e.envelope.type)).toEqual(['payment.recorded']);
    await h.expectJournalBalanced(account.case_id);
  });

  it('concurrent payments without a key on one case are all recorded, and the balance is their sum', async () => {
    const account = await h.openCase();
    const amounts = [1_000n, 2_000n, 3_000n, 4_000n, 5_000n, 6_000n];
    const answers = await Promise.all(amounts.map((amount) => h.record(account.case_id, account.partner_id, { amount })));
    // the account lock orders them: the remainders they answer are the running balance, each once
    const remainders = answers.map((a) => BigInt(a.result.remainder)).sort((a, b) => (a < b ? 1 : -1));
    let paid = 0n;
    const seen = [...answers].sort((a, b) => a.account.payment_count - b.account.payment_count);
    for (const [i, a] of seen.entries()) {
      paid += BigInt(a.payment.amount);
      expect(BigInt(a.result.remainder)).toBe(OWED - paid);
      expect(a.account.payment_count).toBe(i + 1);
    }
    expect(remainders.at(-1)).toBe(OWED - 21_000n);
    expect(await h.account(account.case_id)).toMatchObject({ total_payments: '21000', payment_count: 6 });
    await h.expectJournalBalanced(account.case_id);
  });
});
