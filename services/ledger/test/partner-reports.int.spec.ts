// Issue 16: a partner's money reports on the real PostgreSQL, in a fresh database with the ledger's own
// migrations. The keyset walks the gateway's CSV exports make (a page at a time, 500 in production,
// a handful here so that a walk crosses many pages and many ties of one date) give every row exactly
// once, in order; the amounts owed are the exact bigint sums of the unpaid commissions, beyond 2^53.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, migrate, type Db } from '@pp/platform';
import { createDatabase, dropDatabase } from '@pp/testing';
import type { LedgerContext } from '../src/app/context';
import { exportPayments, listOwedCommissions } from '../src/app/partner-reports';
import { migrations, SCHEMA } from '../src/migrations';

const dbName = `pp_partner_reports_${randomBytes(3).toString('hex')}`;
let db: Db;
let ctx: LedgerContext;
const P = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const CASES = 23;
const PER_CASE = 9;
const HUGE = 9_007_199_254_740_993n; // 2^53 + 1: a float would lose it

beforeAll(async () => {
  db = createDb({ kind: 'pg', url: await createDatabase(inject('databaseUrl'), dbName), poolMax: 2 });
  await migrate(db, SCHEMA, migrations);
  ctx = { db } as unknown as LedgerContext; // the reads use the pool only
  const s = SCHEMA;
  // Cases of P (every fifth a test case, currencies in turn) and one of OTHER; payments on few dates, so
  // that many share one date and the keyset's tie on id is what orders them.
  await db.raw(`
    INSERT INTO ${s}.accounts (case_id, partner_id, reference, currency, digits, gross_amount, total_fees, success_fee_ppm, revenue_share_ppm, is_test, notify_email, lifecycle)
    SELECT md5('case-' || c)::uuid, CASE WHEN c = ${CASES} THEN '${OTHER}'::uuid ELSE '${P}'::uuid END, 'R' || lpad(c::text, 7, '0'),
           (ARRAY['EUR','JPY','KWD'])[c % 3 + 1], 2, 100000, 0, 200000, 400000, c % 5 = 4, 'ops@example.com', 'Active'
    FROM generate_series(0, ${CASES}) c`);
  await db.raw(`
    INSERT INTO ${s}.payments (id, case_id, partner_id, date, amount, recipient, commission_status, record_result, created_at, updated_at)
    SELECT md5('payment-' || c || '-' || n)::uuid, md5('case-' || c)::uuid, a.partner_id, date '2026-03-01' + (c + n) % 4, 1000 + n,
           (ARRAY['Creditor','CollectionPartner','Platform'])[n % 3 + 1], CASE WHEN n % 3 = 0 AND n % 2 = 0 THEN 'Unpaid' ELSE 'Paid' END,
           '{"caseClosed":false,"closeCode":null,"remainder":"0","warnings":[]}', now(), now()
    FROM generate_series(0, ${CASES}) c, generate_series(0, ${PER_CASE - 1}) n, ${s}.accounts a WHERE a.case_id = md5('case-' || c)::uuid`);
  await db.raw(`
    INSERT INTO ${s}.payouts (payment_id, partner_id, currency, payout_creditor, payout_collection_partner, platform_fee)
    SELECT p.id, p.partner_id, a.currency, 800, CASE WHEN p.case_id = md5('case-0')::uuid AND p.amount = 1000 THEN ${HUGE} ELSE 200 + p.amount % 7 END, 80
    FROM ${s}.payments p JOIN ${s}.accounts a ON a.case_id = p.case_id`);
});

afterAll(async () => {
  await db?.destroy();
  await dropDatabase(inject('databaseUrl'), dbName);
});

interface Seeded {
  id: string;
  case_id: string;
  reference: string;
  currency: string;
  is_test: boolean;
  date: string;
  recipient: string;
  commission_status: string;
  owed: string;
}

async function seeded(partnerId: string): Promise<Seeded[]> {
  const { rows } = await db.raw<{ rows: Seeded[] }>(
    `SELECT p.id, p.case_id, a.reference, a.currency, a.is_test, to_char(p.date, 'YYYY-MM-DD') AS date, p.recipient, p.commission_status,
            o.payout_collection_partner::text AS owed
       FROM ${SCHEMA}.payments p JOIN ${SCHEMA}.payouts o ON o.payment_id = p.id JOIN ${SCHEMA}.accounts a ON a.case_id = p.case_id
      WHERE p.partner_id = ?`,
    [partnerId],
  );
  return rows;
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

describe('exportPayments', () => {
  it('walks every payment of the range exactly once, by (date, id), a small page at a time', async () => {
    const query = { partnerId: P, dateFrom: '2026-03-02', dateTo: '2026-03-03', includeTestCases: false, afterKey: '', limit: 4 };
    const walked: string[] = [];
    let pages = 0;
    for (let key = ''; ; pages++) {
      const page = await exportPayments(ctx, { ...query, afterKey: key });
      walked.push(...page.rows.map((r) => r.id));
      if (page.nextKey === '') break;
      key = page.nextKey;
    }
    const expected = (await seeded(P))
      .filter((p) => !p.is_test && p.date >= '2026-03-02' && p.date <= '2026-03-03')
      .sort((x, y) => cmp(x.date, y.date) || cmp(x.id, y.id))
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(40);
    expect(walked).toEqual(expected);
    expect(pages).toBeGreaterThan(10);
  });

  it("open bounds and test cases on request; never another partner's", async () => {
    const page = await exportPayments(ctx, { partnerId: P, dateFrom: '', dateTo: '', includeTestCases: true, afterKey: '', limit: 1000 });
    expect(page.rows.map((r) => r.id).sort()).toEqual((await seeded(P)).map((p) => p.id).sort());
    expect(page.nextKey).toBe('');
  });

  it('refuses a key it did not make', async () => {
    const query = { partnerId: P, dateFrom: '', dateTo: '', includeTestCases: false, limit: 5 };
    await expect(exportPayments(ctx, { ...query, afterKey: 'x' })).rejects.toMatchObject({ type: 'ValidationError', field: 'afterKey' });
    await expect(exportPayments(ctx, { ...query, afterKey: `2026-03-01|${P}|x` })).rejects.toMatchObject({ type: 'ValidationError' });
  });
});

describe('listOwedCommissions', () => {
  async function expectedOwed(includeTest: boolean) {
    const byCase = new Map<string, { reference: string; currency: string; sum: bigint; count: number; oldest: string }>();
    for (const p of await seeded(P)) {
      if (p.recipient !== 'Creditor' || p.commission_status !== 'Unpaid' || BigInt(p.owed) === 0n || (p.is_test && !includeTest)) continue;
      const row = byCase.get(p.case_id) ?? { reference: p.reference, currency: p.currency, sum: 0n, count: 0, oldest: p.date };
      byCase.set(p.case_id, { ...row, sum: row.sum + BigInt(p.owed), count: row.count + 1, oldest: p.date < row.oldest ? p.date : row.oldest });
    }
    return [...byCase.entries()].map(([caseId, r]) => ({ caseId, ...r })).sort((x, y) => cmp(x.reference, y.reference));
  }

  it('sums exactly per case (bigint, beyond 2^53), pages and totals agree, and the keyset walk gives the same rows', async () => {
    const expected = await expectedOwed(false);
    expect(expected.some((r) => r.sum > HUGE)).toBe(true);
    const all = await listOwedCommissions(ctx, { partnerId: P, page: 1, pageSize: 100, includeTestCases: false, afterReference: '' });
    expect(all.total).toBe(expected.length);
    expect(all.rows.map((r) => [r.case_id, r.currency, BigInt(r.amount_owed), r.payment_count, r.oldest_payment_date])).toEqual(
      expected.map((r) => [r.caseId, r.currency, r.sum, r.count, r.oldest]),
    );
    const totals = new Map<string, bigint>();
    for (const r of expected) totals.set(r.currency, (totals.get(r.currency) ?? 0n) + r.sum);
    expect(all.totals.map((t) => [t.currency, BigInt(t.amount_owed)])).toEqual([...totals.entries()].sort((x, y) => cmp(x[0], y[0])));
    // by page number, and by keyset as the CSV walks it
    const paged = [];
    for (let page = 1; page <= Math.ceil(all.total / 4); page++)
      paged.push(...(await listOwedCommissions(ctx, { partnerId: P, page, pageSize: 4, includeTestCases: false, afterReference: '' })).rows);
    expect(paged).toEqual(all.rows);
    const walked = [];
    for (let after = ''; ;) {
      const page = await listOwedCommissions(ctx, { partnerId: P, page: 1, pageSize: 3, includeTestCases: false, afterReference: after });
      walked.push(...page.rows);
      if (page.rows.length < 3) break;
      after = page.rows.at(-1)!.case_reference;
    }
    expect(walked).toEqual(all.rows);
    expect((await listOwedCommissions(ctx, { partnerId: P, page: 1, pageSize: 100, includeTestCases: true, afterReference: '' })).total).toBe(
      (await expectedOwed(true)).length,
    );
  });
});
