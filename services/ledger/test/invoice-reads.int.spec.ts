// Issue 15: the operator's invoice reads cost what a page costs, not what the table holds. A page of
// invoices (of everyone, of one partner, of one partner in one currency) is read from an index in its
// ORDER BY, without a sort; the payouts of one invoice are found through payouts_by_invoice, not by
// scanning every payout. Checked with the planner of the real PostgreSQL on the SQL the query functions
// issue, in a fresh database (its own migrations, seeded, ANALYZEd), as read-indexes.int.spec.ts does.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, migrate, type Db } from '@pp/platform';
import { createDatabase, dropDatabase, explainPlan, planNodes, planShape, statementsOf, type PlanNode } from '@pp/testing';
import { invoicePayouts, listInvoices, type InvoiceRow } from '../src/infra/invoices.queries';
import { migrations, SCHEMA } from '../src/migrations';

const PARTNERS = 5;
const RUNS = 400;
const CURRENCIES = ['EUR', 'JPY', 'KWD'];
const PAYOUTS_PER_INVOICE = 4;

const dbName = `pp_invoice_reads_${randomBytes(3).toString('hex')}`;
let db: Db;

const uuidOf = (s: string) =>
  createHash('md5')
    .update(s)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const partnerId = (n: number) => uuidOf(`partner-${n}`);

beforeAll(async () => {
  db = createDb({ kind: 'pg', url: await createDatabase(inject('databaseUrl'), dbName), poolMax: 2 });
  await migrate(db, SCHEMA, migrations);
  const s = SCHEMA;
  // Every run invoices every partner in every currency: the invoices of one run share created_at.
  await db.raw(`
    INSERT INTO ${s}.invoices (id, partner_id, currency, total_platform_fee, payout_count, created_at)
    SELECT md5('invoice-' || r || '-' || p || '-' || c)::uuid, md5('partner-' || p)::uuid, (ARRAY['EUR','JPY','KWD'])[c + 1], 400, ${PAYOUTS_PER_INVOICE},
           timestamptz '2026-01-01' + r * interval '1 hour'
    FROM generate_series(0, ${RUNS - 1}) r, generate_series(0, ${PARTNERS - 1}) p, generate_series(0, ${CURRENCIES.length - 1}) c`);
  await db.raw(`
    INSERT INTO ${s}.accounts (case_id, partner_id, reference, currency, digits, gross_amount, total_fees, success_fee_ppm, revenue_share_ppm, is_test, notify_email, lifecycle)
    SELECT md5('case-' || i.id)::uuid, i.partner_id, upper(substr(md5(i.id::text), 1, 8)), i.currency, 2, 100000, 0, 200000, 400000, false, 'ops@example.com', 'Active'
    FROM ${s}.invoices i`);
  await db.raw(`
    INSERT INTO ${s}.payments (id, case_id, partner_id, date, amount, recipient, commission_status, record_result, created_at, updated_at)
    SELECT md5('payment-' || i.id || '-' || n)::uuid, md5('case-' || i.id)::uuid, i.partner_id, date '2026-01-01' + n % 2, 1000 + n, 'CollectionPartner', 'Paid',
           '{"caseClosed":false,"closeCode":null,"remainder":"0","warnings":[]}', now(), now()
    FROM ${s}.invoices i, generate_series(0, ${PAYOUTS_PER_INVOICE - 1}) n`);
  await db.raw(`
    INSERT INTO ${s}.payouts (payment_id, partner_id, currency, payout_creditor, payout_collection_partner, platform_fee, invoice_id)
    SELECT md5('payment-' || i.id || '-' || n)::uuid, i.partner_id, i.currency, 800, 200, 100, i.id
    FROM ${s}.invoices i, generate_series(0, ${PAYOUTS_PER_INVOICE - 1}) n`);
  await db.raw(`ANALYZE ${s}.invoices, ${s}.accounts, ${s}.payments, ${s}.payouts`);
}, 120_000);

afterAll(async () => {
  await db?.destroy();
  await dropDatabase(inject('databaseUrl'), dbName).catch(() => undefined);
});

/** Runs `read` for real and plans the statements it sent, with sorts disabled: a Sort stays only when no index gives the order. */
async function planned<T>(read: (db: Db) => Promise<T>, settings = ['enable_sort = off']): Promise<{ result: T; plans: { sql: string; plan: PlanNode }[] }> {
  const { result, sent } = await statementsOf(db, read);
  const plans: { sql: string; plan: PlanNode }[] = [];
  for (const statement of sent) plans.push({ sql: statement.sql, plan: await explainPlan(db, statement, settings) });
  return { result, plans };
}

const uses = (plan: PlanNode, index: string) => planNodes(plan).some((n) => n['Index Name'] === index);
const sorts = (plan: PlanNode) => planNodes(plan).filter((n) => n['Node Type'].includes('Sort'));

const newestFirst = (a: InvoiceRow, b: InvoiceRow) => b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

describe('invoice reads use their indexes (issue 15)', () => {
  it.each([
    ['every partner', 'invoices_list', {}, RUNS * PARTNERS * CURRENCIES.length],
    ['one partner', 'invoices_partner_list', { partnerId: partnerId(3) }, RUNS * CURRENCIES.length],
    ['one partner in one currency', 'invoices_partner_list', { partnerId: partnerId(3), currency: 'JPY' }, RUNS],
  ])('a page of the invoices of %s, newest first, from %s without a sort', async (_what, index, filter, total) => {
    for (const offset of [0, 1000]) {
      const { result, plans } = await planned((d) => listInvoices(d, filter, { offset, limit: 25 }));
      const page = plans.find((p) => /order by/i.test(p.sql))!;
      expect(sorts(page.plan), planShape(page.plan)).toEqual([]);
      expect(uses(page.plan, index), planShape(page.plan)).toBe(true);
      expect(result.total).toBe(total);
      expect(result.rows).toHaveLength(offset < total ? 25 : 0);
      expect(result.rows.map((r) => r.id)).toEqual([...result.rows].sort(newestFirst).map((r) => r.id));
    }
    // consecutive pages follow each other: the tie-breaker id makes the order total
    const [first, second] = await Promise.all([listInvoices(db, filter, { offset: 0, limit: 20 }), listInvoices(db, filter, { offset: 20, limit: 20 })]);
    const both = await listInvoices(db, filter, { offset: 0, limit: 40 });
    expect([...first.rows, ...second.rows].map((r) => r.id)).toEqual(both.rows.map((r) => r.id));
  });

  it("finds an invoice's payouts through payouts_by_invoice, by payment date then payment id", async () => {
    const [invoice] = (await listInvoices(db, { partnerId: partnerId(1) }, { offset: 500, limit: 1 })).rows;
    const { result, plans } = await planned((d) => invoicePayouts(d, invoice!.id), []);
    expect(plans).toHaveLength(1);
    expect(uses(plans[0]!.plan, 'payouts_by_invoice'), planShape(plans[0]!.plan)).toBe(true);
    expect(result).toHaveLength(PAYOUTS_PER_INVOICE);
    const key = (p: (typeof result)[number]) => `${p.date} ${p.payment_id}`;
    expect(result.map(key)).toEqual(result.map(key).sort());
    expect(new Set(result.map((p) => p.currency))).toEqual(new Set([invoice!.currency]));
  });
});
