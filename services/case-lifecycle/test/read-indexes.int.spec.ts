// Issue 12, "cost that does not grow with the data", in the cases schema: a page of GET /cases is read
// from an index in the list's order (no scan and sort of all the partner's cases), and DELETE
// /webhooks/{id} cascades to the subscription's deliveries through an index on subscription_id (not a
// scan of every delivery). Checked with the planner of the real PostgreSQL, in a fresh database (its own
// migrations, seeded, ANALYZEd), on the SQL the query functions issue.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, migrate, type Db } from '@pp/platform';
import { createDatabase, dropDatabase, explainPlan, planNodes as nodes, planShape as shape, statementsOf } from '@pp/testing';
import { listCases, type CaseRow } from '../src/infra/cases.queries';
import { deleteSubscription, listDeliveries, type DeliveryRow } from '../src/infra/webhooks.queries';
import { migrations, SCHEMA } from '../src/migrations';

const PARTNERS = 5;
const CASES = 5_000;
const SUBSCRIPTIONS = 50;
const DELIVERIES = 5_000;

const dbName = `pp_read_idx_cases_${randomBytes(3).toString('hex')}`;
let db: Db;

// The seed's ids are md5('case-' || n)::uuid etc., so a test names them without reading back.
const uuidOf = (s: string) =>
  createHash('md5')
    .update(s)
    .digest('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

beforeAll(async () => {
  db = createDb({ kind: 'pg', url: await createDatabase(inject('databaseUrl'), dbName), poolMax: 2 });
  await migrate(db, SCHEMA, migrations);
  const s = SCHEMA;
  // One case in ten is a test case; three cases share each created_at, so the id tie-breaker matters.
  await db.raw(`
    INSERT INTO ${s}.cases (id, partner_id, reference, is_test, lifecycle, currency, gross_amount, interest_fees, reminder_fees, collection_fees,
                            success_fee_ppm, engagement_phase, created_at, updated_at)
    SELECT md5('case-' || i)::uuid, md5('partner-' || i % ${PARTNERS})::uuid, 'REF-' || i, i % 10 = 0,
           (ARRAY['Open', 'Open', 'Open', 'Paused', 'Closed'])[1 + i / ${PARTNERS} % 5], 'EUR', 100000, 0, 0, 0, 100000, 'Reminder',
           timestamptz '2026-01-01' + (i / ${PARTNERS * 3}) * interval '1 minute', now()
    FROM generate_series(0, ${CASES - 1}) i`);
  await db.raw(`
    INSERT INTO ${s}.webhook_subscriptions (id, partner_id, url, events, is_active, is_test_mode, secret, created_at, updated_at)
    SELECT md5('subscription-' || i)::uuid, md5('partner-' || i % ${PARTNERS})::uuid, 'https://hooks.example.com/' || i, '["case.updated"]', true, false, 'whsec', now(), now()
    FROM generate_series(0, ${SUBSCRIPTIONS - 1}) i`);
  await db.raw(`
    INSERT INTO ${s}.webhook_deliveries (id, subscription_id, partner_id, case_id, case_event_id, event_type, payload, status, next_attempt_at, created_at)
    SELECT md5('delivery-' || i)::uuid, md5('subscription-' || i % ${SUBSCRIPTIONS})::uuid, md5('partner-' || i % ${SUBSCRIPTIONS} % ${PARTNERS})::uuid,
           md5('case-' || i % ${CASES})::uuid, md5('event-' || i)::uuid, 'case.updated', '{}', 'Delivered', now(), now()
    FROM generate_series(0, ${DELIVERIES - 1}) i`);
  await db.raw(`ANALYZE ${s}.cases, ${s}.webhook_subscriptions, ${s}.webhook_deliveries`);
});

afterAll(async () => {
  await db?.destroy();
  await dropDatabase(inject('databaseUrl'), dbName).catch(() => undefined);
});

/** What GET /cases must answer, from all of the partner's cases: the filters, then created_at DESC, id DESC, then the page. */
function expectedPage(all: CaseRow[], filter: { statuses: string[]; includeTest: boolean; page: number; pageSize: number }): string[] {
  return all
    .filter((c) => (filter.includeTest || !c.is_test) && (filter.statuses.length === 0 || filter.statuses.includes(c.lifecycle)))
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
    .slice((filter.page - 1) * filter.pageSize, filter.page * filter.pageSize)
    .map((c) => c.id);
}

describe('cases-schema reads that do not grow with the data (issue 12)', () => {
  it("reads a page of the partner's cases from (partner_id, created_at DESC, id DESC), without a sort, with the same rows as before", async () => {
    const partnerId = uuidOf('partner-3');
    const all = await db.withSchema(SCHEMA).table('cases').where('partner_id', partnerId).select<CaseRow[]>();
    expect(all).toHaveLength(CASES / PARTNERS);
    for (const filter of [
      { statuses: [], includeTest: false, page: 1, pageSize: 20 },
      { statuses: [], includeTest: true, page: 1, pageSize: 20 },
      { statuses: [], includeTest: false, page: 4, pageSize: 50 },
      { statuses: ['Open', 'Paused'], includeTest: false, page: 2, pageSize: 25 },
    ]) {
      const { result, sent } = await statementsOf(db, (d) => listCases(d, partnerId, filter));
      expect(result.rows.map((r) => r.id)).toEqual(expectedPage(all, filter));
      const page = sent.find((q) => /order by/i.test(q.sql));
      expect(page, JSON.stringify(sent)).toBeDefined();
      const plan = await explainPlan(db, page!);
      const found = nodes(plan);
      expect(
        found.filter((n) => n['Node Type'].includes('Sort') || n['Node Type'] === 'Seq Scan'),
        shape(plan),
      ).toEqual([]);
      expect(
        found.some((n) => n['Index Name'] === 'cases_partner_created'),
        shape(plan),
      ).toBe(true);
    }
  });

  it("cascades a subscription's delete to its deliveries through the subscription_id index", async () => {
    const id = uuidOf('subscription-7');
    // What the FK's ON DELETE CASCADE runs for each deleted subscription (PostgreSQL's ri_triggers.c builds this text).
    const plan = await explainPlan(db, {
      sql: `DELETE FROM ONLY ${SCHEMA}.webhook_deliveries WHERE $1 OPERATOR(pg_catalog.=) subscription_id`,
      bindings: [id],
    });
    const found = nodes(plan);
    expect(
      found.filter((n) => n['Node Type'] === 'Seq Scan'),
      shape(plan),
    ).toEqual([]);
    expect(
      found.some((n) => n['Index Name'] === 'webhook_deliveries_subscription'),
      shape(plan),
    ).toBe(true);

    const deliveries = () => db.withSchema(SCHEMA).table('webhook_deliveries');
    expect(await deliveries().where('subscription_id', id).count<{ count: string }[]>({ count: '*' })).toEqual([{ count: String(DELIVERIES / SUBSCRIPTIONS) }]);
    expect(await deleteSubscription(db, uuidOf('partner-2'), id)).toBe(1); // subscription 7 belongs to partner 7 % 5
    expect(await deliveries().where('subscription_id', id).count<{ count: string }[]>({ count: '*' })).toEqual([{ count: '0' }]);
    expect(await deliveries().count<{ count: string }[]>({ count: '*' })).toEqual([{ count: String(DELIVERIES - DELIVERIES / SUBSCRIPTIONS) }]);
  });

  // Issue 16: GET /webhooks/events?Page=… pages the delivery log. Every seeded delivery has the same
  // created_at, so the order on a page is the id tie-breaker's alone: the index must have it.
  it("reads a page of the partner's delivery log from (partner_id, created_at DESC, id DESC), without a sort, and counts it", async () => {
    const partnerId = uuidOf('partner-2');
    const all = await db.withSchema(SCHEMA).table('webhook_deliveries').where('partner_id', partnerId).select<DeliveryRow[]>();
    expect(all.length).toBeGreaterThan(150);
    const ordered = all.sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0)).map((d) => d.id);
    const { result, sent } = await statementsOf(db, (d) => listDeliveries(d, partnerId, {}, { offset: 100, limit: 50 }));
    expect(result.total).toBe(all.length);
    expect(result.rows.map((r) => r.id)).toEqual(ordered.slice(100, 150));
    const page = sent.find((q) => /order by/i.test(q.sql));
    const plan = await explainPlan(db, page!);
    expect(
      nodes(plan).filter((n) => n['Node Type'].includes('Sort') || n['Node Type'] === 'Seq Scan'),
      shape(plan),
    ).toEqual([]);
    expect(
      nodes(plan).some((n) => n['Index Name'] === 'webhook_deliveries_partner_list'),
      shape(plan),
    ).toBe(true);
    // its prefix was webhook_deliveries_partner, which would now only cost writes
    expect(await db('pg_indexes').where({ schemaname: SCHEMA, tablename: 'webhook_deliveries' }).pluck('indexname')).not.toContain(
      'webhook_deliveries_partner',
    );
  });
});
