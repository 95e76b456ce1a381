// All SQL of the ledger's aggregates: plain functions taking (db | trx) first, returning typed rows.
import type { Split } from '@pp/domain';
import { readPage, type PageWindow, type Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface AccountRow {
  case_id: string;
  partner_id: string;
  reference: string;
  currency: string;
  digits: number;
  gross_amount: string;
  total_fees: string;
  /** the breakdown of total_fees; null on an account opened before the ledger kept it */
  interest_fees: string | null;
  reminder_fees: string | null;
  collection_fees: string | null;
  total_payments: string;
  payment_count: number;
  success_fee_ppm: string;
  revenue_share_ppm: string;
  is_test: boolean;
  notify_email: string;
  lifecycle: string;
  close_code: string | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface PaymentRow {
  id: string;
  case_id: string;
  partner_id: string;
  date: string;
  amount: string;
  recipient: string;
  commission_status: string;
  idempotency_key: string | null;
  record_result: RecordResult;
  created_at: Date;
  updated_at: Date;
  payout_creditor: string;
  payout_collection_partner: string;
  platform_fee: string;
  invoice_id: string | null;
}

export interface RecordResult {
  caseClosed: boolean;
  closeCode: string | null;
  remainder: string;
  warnings: string[];
  /** fingerprint of the request that recorded it under an idempotency key (see record-payment.ts) */
  request?: string;
}

const t = (db: Queryable, table: string) => db.withSchema(SCHEMA).table(table);

export async function insertAccount(
  db: Queryable,
  row: Omit<AccountRow, 'created_at' | 'updated_at' | 'closed_at' | 'close_code' | 'total_payments' | 'payment_count'>,
): Promise<void> {
  await t(db, 'accounts').insert(row).onConflict('case_id').ignore();
}

export async function findAccount(db: Queryable, partnerId: string, caseId: string): Promise<AccountRow | undefined> {
  return t(db, 'accounts').where({ case_id: caseId, partner_id: partnerId }).first<AccountRow | undefined>();
}

/** Locks the case account row: every money decision on a case is taken under this lock. */
export async function lockAccount(db: Queryable, partnerId: string, caseId: string): Promise<AccountRow | undefined> {
  return t(db, 'accounts').where({ case_id: caseId, partner_id: partnerId }).forUpdate().first<AccountRow | undefined>();
}

/** Accounts marked to have their balance announced (./announce-balances), locked, skipping those another replica holds. */
export async function lockUnannouncedAccounts(db: Queryable, limit: number): Promise<AccountRow[]> {
  return t(db, 'accounts').where('balance_announced', false).orderBy('case_id').limit(limit).forUpdate().skipLocked().select<AccountRow[]>();
}

export async function markAnnounced(db: Queryable, caseIds: readonly string[]): Promise<void> {
  if (caseIds.length === 0) return;
  await t(db, 'accounts').whereIn('case_id', caseIds).update({ balance_announced: true });
}

export async function findAccounts(db: Queryable, partnerId: string, caseIds: readonly string[]): Promise<AccountRow[]> {
  if (caseIds.length === 0) return [];
  return t(db, 'accounts').where('partner_id', partnerId).whereIn('case_id', caseIds).select<AccountRow[]>();
}

/** A fee change (SPEC §10): principal, breakdown and its sum together, on the locked account. */
export async function updateAccountFees(
  db: Queryable,
  caseId: string,
  fees: Pick<AccountRow, 'gross_amount' | 'total_fees'> & { interest_fees: string; reminder_fees: string; collection_fees: string },
  now: Date,
): Promise<void> {
  await t(db, 'accounts')
    .where('case_id', caseId)
    .update({ ...fees, updated_at: now });
}

export async function updateAccount(
  db: Queryable,
  caseId: string,
  changes: Partial<Pick<AccountRow, 'total_payments' | 'payment_count' | 'lifecycle' | 'close_code' | 'closed_at'>>,
): Promise<void> {
  const now = new Date();
  await t(db, 'accounts')
    .where('case_id', caseId)
    // a close or a reopen: the gateway's lifecycle overlay finds it by this time (recentLifecycleChanges)
    .update({ ...changes, ...('lifecycle' in changes ? { lifecycle_changed_at: now } : {}), updated_at: now });
}

/**
 * The current lifecycle of a partner's accounts whose lifecycle changed since `since`, newest change first
 * (at most `limit`): what a list filtered by lifecycle overlays on case-lifecycle's copy.
 */
export async function recentLifecycleChanges(db: Queryable, partnerId: string, since: Date, limit: number): Promise<{ case_id: string; lifecycle: string }[]> {
  return t(db, 'accounts')
    .where('partner_id', partnerId)
    .where('lifecycle_changed_at', '>', since)
    .orderBy('lifecycle_changed_at', 'desc')
    .limit(limit)
    .select('case_id', 'lifecycle');
}

function paymentsWithPayouts(db: Queryable) {
  return db
    .withSchema(SCHEMA)
    .from('payments as p')
    .join('payouts as o', 'o.payment_id', 'p.id')
    .select('p.*', 'o.payout_creditor', 'o.payout_collection_partner', 'o.platform_fee', 'o.invoice_id');
}

export async function findPayment(db: Queryable, partnerId: string, caseId: string, paymentId: string): Promise<PaymentRow | undefined> {
  return paymentsWithPayouts(db).where({ 'p.id': paymentId, 'p.case_id': caseId, 'p.partner_id': partnerId }).first<PaymentRow | undefined>();
}

/** Locks the payment and its payout, so an invoicing run and a correction cannot interleave. */
export async function lockPayment(db: Queryable, partnerId: string, caseId: string, paymentId: string): Promise<PaymentRow | undefined> {
  return paymentsWithPayouts(db).where({ 'p.id': paymentId, 'p.case_id': caseId, 'p.partner_id': partnerId }).forUpdate().first<PaymentRow | undefined>();
}

export async function findPaymentByKey(db: Queryable, partnerId: string, key: string): Promise<PaymentRow | undefined> {
  return paymentsWithPayouts(db).where({ 'p.partner_id': partnerId, 'p.idempotency_key': key }).first<PaymentRow | undefined>();
}

export interface PaymentFilter {
  dateFrom?: string;
  dateTo?: string;
  minAmount?: string;
  maxAmount?: string;
}

/** The payments in their list order, the order of the index payments_case_list (id breaks the tie); one page of them with a window. */
export async function listPayments(
  db: Queryable,
  partnerId: string,
  caseId: string,
  filter: PaymentFilter,
  window?: PageWindow,
): Promise<{ rows: PaymentRow[]; total: number }> {
  const q = paymentsWithPayouts(db).where({ 'p.case_id': caseId, 'p.partner_id': partnerId });
  if (filter.dateFrom) q.where('p.date', '>=', filter.dateFrom);
  if (filter.dateTo) q.where('p.date', '<=', filter.dateTo);
  if (filter.minAmount) q.where('p.amount', '>=', filter.minAmount);
  if (filter.maxAmount) q.where('p.amount', '<=', filter.maxAmount);
  q.orderBy([
    { column: 'p.date', order: 'desc' },
    { column: 'p.created_at', order: 'desc' },
    { column: 'p.id', order: 'desc' },
  ]);
  return readPage<PaymentRow>(q, window);
}

export interface NewPayment {
  id: string;
  case_id: string;
  partner_id: string;
  currency: string;
  date: string;
  amount: bigint;
  recipient: string;
  commission_status: string;
  idempotency_key: string | null;
  record_result: RecordResult;
  payout_creditor: bigint;
  payout_collection_partner: bigint;
  platform_fee: bigint;
  now: Date;
}

export async function updatePayment(
  db: Queryable,
  id: string,
  p: Split & { date: string; amount: bigint; recipient: string; commission_status: string; now: Date },
): Promise<void> {
  await t(db, 'payments')
    .where('id', id)
    .update({ date: p.date, amount: p.amount.toString(), recipient: p.recipient, commission_status: p.commission_status, updated_at: p.now });
  await t(db, 'payouts').where('payment_id', id).update({
    payout_creditor: p.payoutCreditor.toString(),
    payout_collection_partner: p.payoutCollectionPartner.toString(),
    platform_fee: p.platformFee.toString(),
  });
}

export async function setCommissionStatus(db: Queryable, id: string, status: string, now: Date): Promise<void> {
  await t(db, 'payments').where('id', id).update({ commission_status: status, updated_at: now });
}

/** The payout is cascade-deleted with the payment. */
export async function deletePayment(db: Queryable, id: string): Promise<void> {
  await t(db, 'payments').where('id', id).delete();
}

export async function appendJournal(
  db: Queryable,
  entry: Split & { case_id: string; payment_id: string; kind: 'apply' | 'reverse'; amount: bigint },
): Promise<void> {
  const sign = entry.kind === 'reverse' ? -1n : 1n;
  await t(db, 'journal').insert({
    case_id: entry.case_id,
    payment_id: entry.payment_id,
    kind: entry.kind,
    amount: (sign * entry.amount).toString(),
    payout_creditor: (sign * entry.payoutCreditor).toString(),
    payout_collection_partner: (sign * entry.payoutCollectionPartner).toString(),
    platform_fee: (sign * entry.platformFee).toString(),
  });
}

export interface AuditRow {
  id: string;
  case_id: string;
  type: string;
  payment_id: string | null;
  before: unknown;
  after: unknown;
  actor: string;
  at: Date;
}

export async function appendAudit(db: Queryable, row: AuditRow): Promise<void> {
  await t(db, 'audit').insert({
    ...row,
    before: row.before === null ? null : JSON.stringify(row.before),
    after: row.after === null ? null : JSON.stringify(row.after),
  });
}

/** Oldest first, the order of the index audit_case_seq (seq is unique); one page of it with a window. */
export async function listAudit(db: Queryable, caseId: string, window?: PageWindow): Promise<{ rows: AuditRow[]; total: number }> {
  return readPage<AuditRow>(t(db, 'audit').where('case_id', caseId).orderBy('seq'), window);
}

export async function purgeAccounts(db: Queryable, partnerId: string, caseIds: readonly string[]): Promise<number> {
  if (caseIds.length === 0) return 0;
  const owned = await t(db, 'accounts').where('partner_id', partnerId).where('is_test', true).whereIn('case_id', caseIds).pluck('case_id');
  if (owned.length === 0) return 0;
  await t(db, 'audit').whereIn('case_id', owned).delete();
  await t(db, 'journal').whereIn('case_id', owned).delete();
  return t(db, 'accounts').whereIn('case_id', owned).delete();
}

// ---- The record hot path: one locking read and one write, as named (prepared) statements.
// Plain SQL with stable text: pg prepares each once per connection (knex passes `name` through);
// PGlite ignores the name. Columns are listed, so the answer needs no read-back.

const ACCOUNT_COLUMNS = [
  'case_id',
  'partner_id',
  'reference',
  'currency',
  'digits',
  'gross_amount',
  'total_fees',
  'interest_fees',
  'reminder_fees',
  'collection_fees',
  'total_payments',
  'payment_count',
  'success_fee_ppm',
  'revenue_share_ppm',
  'is_test',
  'notify_email',
  'lifecycle',
  'close_code',
  'closed_at',
  'created_at',
  'updated_at',
] as const;
const KEYED_COLUMNS = [
  'id',
  'case_id',
  'partner_id',
  'date',
  'amount',
  'recipient',
  'commission_status',
  'idempotency_key',
  'record_result',
  'created_at',
  'updated_at',
  'payout_creditor',
  'payout_collection_partner',
  'platform_fee',
  'invoice_id',
] as const;

const LOCK_FOR_RECORD = `
SELECT ${ACCOUNT_COLUMNS.map((c) => `a.${c}`).join(', ')}, ${KEYED_COLUMNS.map((c) => `k.${c} AS k_${c}`).join(', ')}
FROM ${SCHEMA}.accounts a
LEFT JOIN LATERAL (
  SELECT p.*, o.payout_creditor, o.payout_collection_partner, o.platform_fee, o.invoice_id
  FROM ${SCHEMA}.payments p JOIN ${SCHEMA}.payouts o ON o.payment_id = p.id
  WHERE p.partner_id = a.partner_id AND p.idempotency_key = ?
) k ON true
WHERE a.case_id = ? AND a.partner_id = ?
FOR UPDATE OF a`;

/**
 * Locks the case account for a record and, in the same round trip, finds the payment already recorded
 * under `key` by this partner (if any): a retry after a crash is answered from it.
 */
export async function lockForRecord(
  db: Queryable,
  partnerId: string,
  caseId: string,
  key: string | null,
): Promise<{ account: AccountRow; keyed: PaymentRow | undefined } | undefined> {
  const res = await db.raw<{ rows: Record<string, unknown>[] }>(LOCK_FOR_RECORD, [key, caseId, partnerId]).options({ name: 'ledger_lock_for_record' });
  const row = res.rows[0];
  if (!row) return undefined;
  const account = Object.fromEntries(ACCOUNT_COLUMNS.map((c) => [c, row[c]])) as unknown as AccountRow;
  const keyed = row.k_id ? (Object.fromEntries(KEYED_COLUMNS.map((c) => [c, row[`k_${c}`]])) as unknown as PaymentRow) : undefined;
  return { account, keyed };
}

const WRITE_RECORD = `
WITH pay AS (
  INSERT INTO ${SCHEMA}.payments (id, case_id, partner_id, date, amount, recipient, commission_status, idempotency_key, record_result, created_at, updated_at)
  VALUES (:id, :caseId, :partnerId, :date, :amount, :recipient, :commissionStatus, :key, :recordResult, :now, :now)
  RETURNING id
), payout AS (
  INSERT INTO ${SCHEMA}.payouts (payment_id, partner_id, currency, payout_creditor, payout_collection_partner, platform_fee)
  SELECT id, :partnerId, :currency, :payoutCreditor, :payoutPartner, :platformFee FROM pay
), posting AS (
  INSERT INTO ${SCHEMA}.journal (case_id, payment_id, kind, amount, payout_creditor, payout_collection_partner, platform_fee)
  SELECT :caseId, id, 'apply', :amount, :payoutCreditor, :payoutPartner, :platformFee FROM pay
), audit AS (
  INSERT INTO ${SCHEMA}.audit (id, case_id, type, payment_id, before, after, actor, at)
  SELECT a.id, :caseId, a.type, pay.id, a.before, a.after, :actor, :now
  FROM pay, unnest(:auditIds::uuid[], :auditTypes::text[], :auditBefore::jsonb[], :auditAfter::jsonb[]) AS a(id, type, before, after)
), outbox AS (
  INSERT INTO ${SCHEMA}.outbox (id, topic, key, value, headers)
  SELECT * FROM unnest(:outboxIds::uuid[], :outboxTopics::text[], :outboxKeys::text[], :outboxValues::text[], :outboxHeaders::jsonb[])
)
UPDATE ${SCHEMA}.accounts
SET total_payments = :totalPayments, payment_count = payment_count + 1, lifecycle = :lifecycle, close_code = :closeCode, closed_at = :closedAt, updated_at = :now,
    lifecycle_changed_at = CASE WHEN lifecycle IS DISTINCT FROM :lifecycle THEN :now ELSE lifecycle_changed_at END
WHERE case_id = :caseId
RETURNING payment_count`;

export interface RecordWrite {
  payment: NewPayment;
  actor: string;
  audit: readonly { id: string; type: string; before: unknown; after: unknown }[];
  outbox: readonly { id: string; topic: string; key: string; value: string; headers?: Record<string, string> }[];
  account: { total_payments: string; lifecycle: string; close_code: string | null; closed_at: Date | null };
}

/** Writes a recorded payment with all its rows (payout, posting, audit, outbox) and the account's new totals, in one statement. */
export async function writeRecord(db: Queryable, w: RecordWrite): Promise<number> {
  const p = w.payment;
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const res = await db
    .raw<{ rows: { payment_count: number }[] }>(WRITE_RECORD, {
      id: p.id,
      caseId: p.case_id,
      partnerId: p.partner_id,
      date: p.date,
      amount: p.amount.toString(),
      recipient: p.recipient,
      commissionStatus: p.commission_status,
      key: p.idempotency_key,
      recordResult: JSON.stringify(p.record_result),
      now: p.now,
      currency: p.currency,
      payoutCreditor: p.payout_creditor.toString(),
      payoutPartner: p.payout_collection_partner.toString(),
      platformFee: p.platform_fee.toString(),
      actor: w.actor,
      auditIds: w.audit.map((a) => a.id),
      auditTypes: w.audit.map((a) => a.type),
      auditBefore: w.audit.map((a) => json(a.before)),
      auditAfter: w.audit.map((a) => json(a.after)),
      outboxIds: w.outbox.map((m) => m.id),
      outboxTopics: w.outbox.map((m) => m.topic),
      outboxKeys: w.outbox.map((m) => m.key),
      outboxValues: w.outbox.map((m) => m.value),
      outboxHeaders: w.outbox.map((m) => JSON.stringify(m.headers ?? {})),
      totalPayments: w.account.total_payments,
      lifecycle: w.account.lifecycle,
      closeCode: w.account.close_code,
      closedAt: w.account.closed_at,
    })
    .options({ name: 'ledger_write_record' });
  return res.rows[0]!.payment_count;
}
