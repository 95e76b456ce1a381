// SQL of a partner's money reports (issue 16): the unpaid commissions summed per case and currency, and
// its payments of a date range across its cases. Amounts are bigint columns and sums read as text.
import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface OwedRow {
  case_id: string;
  case_reference: string;
  currency: string;
  is_test: boolean;
  amount_owed: string;
  payment_count: number;
  oldest_payment_date: string;
}

export interface OwedTotalRow {
  currency: string;
  amount_owed: string;
  payment_count: number;
  case_count: number;
}

export interface OwedPage {
  rows: OwedRow[];
  total: number;
  totals: OwedTotalRow[];
}

/**
 * One page of what the partner is owed, with the count of all rows and the totals per currency, in one
 * statement (one snapshot: the page, its count and the totals agree). Owed = the partner's commission on
 * a payment the debtor made to the creditor, not yet paid (SPEC §4.1, §5: Creditor + Unpaid); a
 * commission of 0 (an explicit split that gave the partner nothing) owes nothing and is left out.
 * `afterReference` walks by keyset (the CSV); otherwise `offset` pages.
 */
export async function owedCommissions(
  db: Queryable,
  partnerId: string,
  options: { includeTest: boolean; afterReference: string; offset: number; limit: number },
): Promise<OwedPage> {
  const result = await db.raw<{ rows: { total: number; totals: OwedTotalRow[]; rows: OwedRow[] }[] }>(
    `WITH owed AS (
       SELECT p.case_id, a.reference AS case_reference, o.currency, a.is_test,
              sum(o.payout_collection_partner) AS amount_owed, count(*)::int AS payment_count, min(p.date) AS oldest_payment_date
         FROM ??.payments p
         JOIN ??.payouts o ON o.payment_id = p.id
         JOIN ??.accounts a ON a.case_id = p.case_id
        WHERE p.partner_id = ? AND p.recipient = 'Creditor' AND p.commission_status = 'Unpaid' AND o.payout_collection_partner > 0
          AND (? OR NOT a.is_test)
        GROUP BY p.case_id, a.reference, o.currency, a.is_test
     )
     SELECT (SELECT count(*)::int FROM owed) AS total,
            (SELECT coalesce(json_agg(t ORDER BY t.currency), '[]'::json)
               FROM (SELECT currency, sum(amount_owed)::text AS amount_owed, sum(payment_count)::int AS payment_count, count(*)::int AS case_count
                       FROM owed GROUP BY currency) t) AS totals,
            (SELECT coalesce(json_agg(g ORDER BY g.case_reference, g.currency), '[]'::json)
               FROM (SELECT case_id, case_reference, currency, is_test, amount_owed::text AS amount_owed, payment_count,
                            to_char(oldest_payment_date, 'YYYY-MM-DD') AS oldest_payment_date
                       FROM owed WHERE case_reference > ? ORDER BY case_reference, currency LIMIT ? OFFSET ?) g) AS rows`,
    [SCHEMA, SCHEMA, SCHEMA, partnerId, options.includeTest, options.afterReference, options.limit, options.offset],
  );
  const row = result.rows[0]!;
  const parse = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return { total: row.total, totals: parse(row.totals), rows: parse(row.rows) };
}

export interface ExportedPaymentRow {
  id: string;
  case_id: string;
  case_reference: string;
  currency: string;
  is_test: boolean;
  date: string;
  amount: string;
  recipient: string;
  commission_status: string;
  payout_creditor: string;
  payout_collection_partner: string;
  platform_fee: string;
  invoice_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The partner's live payments dated in [from, to] ('' = open), oldest first by (date, id), the `limit` after the key. */
export async function paymentsInRange(
  db: Queryable,
  partnerId: string,
  range: { from: string; to: string; includeTest: boolean },
  after: { date: string; id: string } | undefined,
  limit: number,
): Promise<ExportedPaymentRow[]> {
  const q = db
    .withSchema(SCHEMA)
    .from('payments as p')
    .join('payouts as o', 'o.payment_id', 'p.id')
    .join('accounts as a', 'a.case_id', 'p.case_id')
    .where('p.partner_id', partnerId)
    .select(
      'p.id',
      'p.case_id',
      'a.reference as case_reference',
      'o.currency',
      'a.is_test',
      db.raw(`to_char(p.date, 'YYYY-MM-DD') AS date`),
      'p.amount',
      'p.recipient',
      'p.commission_status',
      'o.payout_creditor',
      'o.payout_collection_partner',
      'o.platform_fee',
      'o.invoice_id',
      'p.created_at',
      'p.updated_at',
    )
    .orderBy([
      { column: 'p.date', order: 'asc' },
      { column: 'p.id', order: 'asc' },
    ])
    .limit(limit);
  if (range.from !== '') q.where('p.date', '>=', range.from);
  if (range.to !== '') q.where('p.date', '<=', range.to);
  if (!range.includeTest) q.where('a.is_test', false);
  if (after) q.whereRaw('(p.date, p.id) > (?::date, ?::uuid)', [after.date, after.id]);
  return (await q) as ExportedPaymentRow[];
}
