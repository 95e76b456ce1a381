// The ledger's use cases on the real PostgreSQL without the other processes (issue 14, the "medium"
// tier): a fresh database migrated with the ledger's own migrations, a LedgerContext over it (no Kafka,
// no gRPC: the outbox rows stay in the table, where the tests read them), a clock the test sets and
// readers of what a use case wrote (account, payments, journal, audit, outbox), each by case.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect, inject } from 'vitest';
import { createDb, migrate, UnitOfWork, type Db } from '@pp/platform';
import { createDatabase, dropDatabase } from '@pp/testing';
import type { LedgerContext } from '../src/app/context';
import { openAccount, type OpenAccountCommand } from '../src/app/open-account';
import { recordPayment, type RecordPaymentCommand } from '../src/app/record-payment';
import type { AccountRow } from '../src/infra/ledger.queries';
import { migrations, SCHEMA } from '../src/migrations';

export const T0 = new Date('2026-12-01T10:00:00.000Z');

export interface JournalRow {
  payment_id: string;
  kind: string;
  amount: string;
  payout_creditor: string;
  payout_collection_partner: string;
  platform_fee: string;
}

export interface AuditEntry {
  type: string;
  payment_id: string | null;
  before: unknown;
  after: unknown;
  actor: string;
  at: Date;
}

export interface OutboxEntry {
  topic: string;
  key: string;
  headers: Record<string, string>;
  envelope: { id: string; type: string; key: string; occurredAt: string; payload: Record<string, unknown> };
}

export interface LedgerHarness {
  readonly db: Db;
  readonly ctx: LedgerContext;
  /** how many times the use cases asked the relay to publish (once per committed transaction that emitted) */
  readonly nudges: () => number;
  setNow(at: Date): void;
  openCase(over?: Partial<OpenAccountCommand>): Promise<AccountRow>;
  record(caseId: string, partnerId: string, over?: Partial<RecordPaymentCommand>): ReturnType<typeof recordPayment>;
  account(caseId: string): Promise<AccountRow>;
  payments(caseId: string): Promise<{ id: string; amount: string; payout_creditor: string; payout_collection_partner: string; platform_fee: string }[]>;
  journal(caseId: string): Promise<JournalRow[]>;
  audit(caseId: string): Promise<AuditEntry[]>;
  outbox(caseId: string): Promise<OutboxEntry[]>;
  /** Every posting adds up (amount = creditor + partner), each payment's postings sum to its payout, and all of them to the account's totals. */
  expectJournalBalanced(caseId: string): Promise<void>;
  /** What a refused command must leave untouched: the account and every row written for the case. */
  snapshotOf(caseId: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function ledgerHarness(label: string, poolMax = 4): Promise<LedgerHarness> {
  const dbName = `pp_ledger_${label}_${randomBytes(3).toString('hex')}`;
  const db = createDb({ kind: 'pg', url: await createDatabase(inject('databaseUrl'), dbName), poolMax });
  await migrate(db, SCHEMA, migrations);
  let now = T0;
  let nudged = 0;
  const ctx: LedgerContext = {
    db,
    uow: new UnitOfWork(db, SCHEMA, { nudge: () => void nudged++ }),
    clock: () => now,
    newId: randomUUID,
  };
  const s = SCHEMA;
  const rows = async <R>(sql: string, caseId: string) => (await db.raw<{ rows: R[] }>(sql, [caseId])).rows;
  const h: LedgerHarness = {
    db,
    ctx,
    nudges: () => nudged,
    setNow: (at) => void (now = at),
    openCase: (over = {}) =>
      openAccount(ctx, {
        caseId: randomUUID(),
        partnerId: randomUUID(),
        reference: randomBytes(4).toString('hex').toUpperCase(),
        currency: 'EUR',
        grossAmount: 100_000n,
        interestFees: 1_000n,
        reminderFees: 500n,
        collectionFees: 2_500n,
        successFeePpm: 205_000n,
        revenueSharePpm: 400_000n,
        isTest: false,
        notifyEmail: 'ops@partner.example',
        ...over,
      }),
    record: (caseId, partnerId, over = {}) =>
      recordPayment(ctx, {
        partnerId,
        caseId,
        date: '2026-11-30',
        amount: 10_000n,
        recipient: 'CollectionPartner',
        commissionStatus: undefined,
        explicitSplit: undefined,
        closeCase: false,
        createFollowUp: true,
        idempotencyKey: undefined,
        actor: 'partner:test',
        ...over,
      }),
    account: async (caseId) => (await rows<AccountRow>(`SELECT * FROM ${s}.accounts WHERE case_id = ?`, caseId))[0]!,
    payments: (caseId) =>
      rows(
        `SELECT p.id, p.amount, o.payout_creditor, o.payout_collection_partner, o.platform_fee
           FROM ${s}.payments p JOIN ${s}.payouts o ON o.payment_id = p.id WHERE p.case_id = ? ORDER BY p.created_at, p.id`,
        caseId,
      ),
    journal: (caseId) =>
      rows(
        `SELECT payment_id, kind, amount, payout_creditor, payout_collection_partner, platform_fee FROM ${s}.journal WHERE case_id = ? ORDER BY seq`,
        caseId,
      ),
    audit: (caseId) => rows(`SELECT type, payment_id, before, after, actor, at FROM ${s}.audit WHERE case_id = ? ORDER BY seq`, caseId),
    outbox: async (caseId) =>
      (
        await rows<{ topic: string; key: string; value: string; headers: Record<string, string> }>(
          `SELECT * FROM ${s}.outbox WHERE key = ? ORDER BY seq`,
          caseId,
        )
      ).map((r) => ({ topic: r.topic, key: r.key, headers: r.headers, envelope: JSON.parse(r.value) as OutboxEntry['envelope'] })),
    async expectJournalBalanced(caseId) {
      const postings = await h.journal(caseId);
      for (const p of postings) expect(BigInt(p.amount)).toBe(BigInt(p.payout_creditor) + BigInt(p.payout_collection_partner));
      const live = new Map((await h.payments(caseId)).map((p) => [p.id, p]));
      const byPayment = new Map<string, [bigint, bigint, bigint, bigint]>();
      for (const p of postings) {
        const sum = byPayment.get(p.payment_id) ?? [0n, 0n, 0n, 0n];
        byPayment.set(p.payment_id, [
          sum[0] + BigInt(p.amount),
          sum[1] + BigInt(p.payout_creditor),
          sum[2] + BigInt(p.payout_collection_partner),
          sum[3] + BigInt(p.platform_fee),
        ]);
      }
      for (const [paymentId, sum] of byPayment) {
        const payment = live.get(paymentId);
        const expected = payment
          ? [payment.amount, payment.payout_creditor, payment.payout_collection_partner, payment.platform_fee].map(BigInt)
          : [0n, 0n, 0n, 0n]; // deleted: reversed to nothing
        expect(sum, `postings of payment ${paymentId}`).toEqual(expected);
      }
      for (const id of live.keys()) expect(byPayment.has(id), `payment ${id} has postings`).toBe(true);
      const account = await h.account(caseId);
      expect(BigInt(account.total_payments)).toBe([...byPayment.values()].reduce((a, v) => a + v[0], 0n));
      expect(account.payment_count).toBe(live.size);
    },
    snapshotOf: async (caseId) => ({
      account: await h.account(caseId),
      payments: await h.payments(caseId),
      journal: await h.journal(caseId),
      audit: await h.audit(caseId),
      outbox: await h.outbox(caseId),
    }),
    async close() {
      await db.destroy();
      await dropDatabase(inject('databaseUrl'), dbName).catch(() => undefined);
    },
  };
  return h;
}

/** The envelope the ledger writes: its type, key and payload exactly, with its id and time. */
export function envelope(type: string, caseId: string, payload: unknown, at: Date = T0) {
  return { id: expect.any(String), type, version: 1, occurredAt: at.toISOString(), producer: 'ledger', key: caseId, payload };
}

/** The case reference every ledger event carries. */
export function caseRefOf(account: AccountRow, remainder: bigint) {
  return {
    caseId: account.case_id,
    partnerId: account.partner_id,
    reference: account.reference,
    isTest: account.is_test,
    currency: account.currency,
    notifyEmail: account.notify_email,
    remainder: remainder.toString(),
  };
}
