// The database's own ceiling for recording a payment, measured in the same run as the system: the
// leanest SQL that records one payment with all its rows (payment, payout, posting, audit entry,
// outbox row and the account's totals) as ONE statement, run by pgbench against a scratch copy of the
// ledger schema on the same PostgreSQL, and run sequentially on PGlite in this process. The
// benchmarks report the system's throughput as a ratio to these figures (issue 12), never as a bare
// number that depends on the machine.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { log, now, root } from './lib.mjs';

const require = createRequire(import.meta.url);
const CASES = 200;

/** JSON text safe in a pgbench script, which would read `:name` inside a literal as a variable. */
const literal = (value) => JSON.stringify(value).replace(/:/g, ': ').replace(/'/g, "''");

/** One payment with every row it needs, as one statement; `caseExpr` is the case number (1..CASES). */
function recordStatement(caseExpr) {
  const envelope = literal({
    id: '00000000-0000-4000-8000-000000000000',
    type: 'payment.recorded',
    version: 1,
    occurredAt: '2026-11-10T00:00:00.000Z',
    producer: 'ledger',
    payload: {
      caseId: 'x',
      reference: 'BENCH000',
      payment: { id: 'x', amount: '100', payoutCreditor: '80', payoutCollectionPartner: '20', platformFee: '8' },
      createFollowUp: true,
    },
  });
  const after = literal({
    id: 'x',
    date: '2026-11-10',
    amount: '100',
    recipient: 'CollectionPartner',
    commissionStatus: 'Paid',
    payoutCreditor: '80',
    payoutCollectionPartner: '20',
    platformFee: '8',
    invoiceId: null,
  });
  return `WITH acc AS (
  UPDATE ledger.accounts SET total_payments = total_payments + 100, payment_count = payment_count + 1, updated_at = now()
  WHERE case_id = (SELECT case_id FROM ledger.bench_cases WHERE n = ${caseExpr}) RETURNING case_id, partner_id, currency
), pay AS (
  INSERT INTO ledger.payments (id, case_id, partner_id, date, amount, recipient, commission_status, idempotency_key, record_result, created_at, updated_at)
  SELECT gen_random_uuid(), case_id, partner_id, DATE '2026-11-10', 100, 'CollectionPartner', 'Paid', NULL, '${literal({ caseClosed: false, closeCode: null, remainder: '900', warnings: [] })}', now(), now() FROM acc
  RETURNING id, case_id, partner_id
), payout AS (
  INSERT INTO ledger.payouts (payment_id, partner_id, currency, payout_creditor, payout_collection_partner, platform_fee) SELECT id, partner_id, 'EUR', 80, 20, 8 FROM pay
), posting AS (
  INSERT INTO ledger.journal (case_id, payment_id, kind, amount, payout_creditor, payout_collection_partner, platform_fee) SELECT case_id, id, 'apply', 100, 80, 20, 8 FROM pay
), audit AS (
  INSERT INTO ledger.audit (id, case_id, type, payment_id, before, after, actor, at) SELECT gen_random_uuid(), case_id, 'PaymentRecorded', id, NULL, '${after}', 'bench', now() FROM pay
), outbox AS (
  INSERT INTO ledger.outbox (id, topic, key, value, headers) SELECT gen_random_uuid(), 'payment-events', case_id::text, '${envelope}', '{}' FROM pay
)
SELECT id FROM pay;`;
}

const SEED = `CREATE TABLE ledger.bench_cases (n int PRIMARY KEY, case_id uuid NOT NULL);
INSERT INTO ledger.accounts (case_id, partner_id, reference, currency, digits, gross_amount, total_fees, success_fee_ppm, revenue_share_ppm, is_test, notify_email, lifecycle)
SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001', upper(substr(md5(n::text), 1, 8)), 'EUR', 2, 100000000000, 0, 200000, 400000, false, 'bench@example.test', 'Active' FROM generate_series(1, ${CASES}) n;
INSERT INTO ledger.bench_cases SELECT row_number() OVER (ORDER BY case_id), case_id FROM ledger.accounts;
ANALYZE;`;

function adminUrlOf(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function pgbenchBinary() {
  for (const candidate of [
    'pgbench',
    ...fs
      .readdirSync('/usr/lib/postgresql', { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `/usr/lib/postgresql/${d.name}/bin/pgbench`),
  ]) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new Error('pgbench not found (it comes with PostgreSQL: apt-get install postgresql-client)');
}

/**
 * pgbench of the one-statement record on a scratch copy of the ledger schema (the real migrations),
 * on the PostgreSQL server of `databaseUrl`, at each client count; the best tps is the ceiling.
 */
export async function postgresCeiling(databaseUrl, { clients = [8, 32], seconds = 10 } = {}) {
  const pg = require('pg');
  const admin = adminUrlOf(databaseUrl);
  const name = `pp_ceiling_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const scratch = new URL(databaseUrl);
  scratch.pathname = `/${name}`;
  const run = async (url, sql) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(admin, `CREATE DATABASE ${name}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-ceiling-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'services/ledger/dist/migrate.js')], {
      env: { ...process.env, DATABASE_URL: scratch.toString(), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await run(scratch.toString(), SEED);
    const script = path.join(dir, 'record.sql');
    fs.writeFileSync(script, `\\set c random(1, ${CASES})\n${recordStatement(':c').replace(/\n/g, ' ')}\n`);
    const bin = pgbenchBinary();
    const results = [];
    for (const c of clients) {
      const out = execFileSync(
        bin,
        ['-n', '-M', 'prepared', '-c', String(c), '-j', String(Math.min(c, 2)), '-T', String(seconds), '-f', script, scratch.toString()],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
      const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
      results.push({ clients: c, tps, latencyMs: latency });
      log(`  pgbench one-statement record, ${c} clients: ${tps.toFixed(0)} tx/s`);
    }
    return { tps: Math.max(...results.map((r) => r.tps)), runs: results, statement: 'one statement, prepared' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await run(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
}

/** The same statement on PGlite, in this process, one at a time (PGlite has one connection): its ceiling. */
export async function pgliteCeiling({ seconds = 10 } = {}) {
  const platform = require(path.join(root, 'packages/platform'));
  const { migrations, SCHEMA } = require(path.join(root, 'services/ledger/dist/migrations.js'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-pglite-ceiling-'));
  try {
    const db = platform.createDb({ kind: 'pglite', dataDir });
    await platform.migrate(db, SCHEMA, migrations);
    for (const statement of SEED.split(';')
      .map((s) => s.trim())
      .filter(Boolean))
      await db.raw(statement);
    await db.destroy();
    const { PGlite } = require('@electric-sql/pglite');
    const pglite = new PGlite(dataDir);
    await pglite.waitReady;
    const sql = recordStatement('$1');
    for (let i = 0; i < 200; i++) await pglite.query(sql, [1 + (i % CASES)]); // warm-up
    let count = 0;
    const t0 = now();
    const end = t0 + seconds * 1000;
    while (now() < end) {
      await pglite.query(sql, [1 + (count % CASES)]);
      count += 1;
    }
    const tps = count / ((now() - t0) / 1000);
    await pglite.close();
    log(`  PGlite one-statement record, sequential: ${tps.toFixed(0)} tx/s`);
    return { tps, statement: 'one statement, sequential' };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The line the issue asks for. */
export function ratioLine(what, throughput, ceiling, ceilingName) {
  return `ceiling ratio: ${(throughput / ceiling).toFixed(2)} (${what} ${throughput.toFixed(0)} payments/s ÷ ${ceilingName} ${ceiling.toFixed(0)} tx/s, same run)`;
}
