#!/usr/bin/env node
// Issue 3: payment recording throughput and latency through the gateway, a fixed-rate (open-loop) run,
// and correction latency on a case holding 10,000 payments versus a case holding 1.
//
//   node bench/payments.mjs        (or: npm run bench -- payments)
//
// Knobs (env): BENCH_CASES (200), BENCH_CONCURRENCY ("16,32,64"), BENCH_SECONDS (15 per closed-loop run),
// BENCH_RATE (500/s) and BENCH_RATE_SECONDS (15), BENCH_BIG_CASE (10000 payments), BENCH_CORRECTIONS (200),
// BENCH_SEED=rest (seed the big case with POSTs instead of cloning one payment in the ledger's tables),
// BENCH_QUICK=1 (64 clients only, shorter runs, a 1,000-payment big case: the whole run in under 5 minutes).
//
// The same run measures the database's own ceiling (bench/ceiling.mjs: pgbench of the one-statement
// record on the same PostgreSQL; the same statement on PGlite) and the embedded default (npm start's
// process on PGlite, 64 connections), and prints both `ceiling ratio` lines.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pgliteCeiling, postgresCeiling, ratioLine } from './ceiling.mjs';
import { ADMIN, Client, cpuDelta, cpuSnapshot, forEachLimit, intEnv, log, ms, now, quiesce, root, stats, table, verdict, withStack } from './lib.mjs';

const require = createRequire(import.meta.url);

const QUICK = process.env.BENCH_QUICK === '1';
const CASES = intEnv('BENCH_CASES', 200);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? (QUICK ? '64' : '16,32,64')).split(',').map(Number);
const SECONDS = intEnv('BENCH_SECONDS', QUICK ? 8 : 15);
const RATE = intEnv('BENCH_RATE', 500);
const RATE_SECONDS = intEnv('BENCH_RATE_SECONDS', QUICK ? 8 : 15);
const BIG = intEnv('BENCH_BIG_CASE', QUICK ? 1_000 : 10_000);
const CORRECTIONS = intEnv('BENCH_CORRECTIONS', QUICK ? 50 : 200);
const CEILING_SECONDS = intEnv('BENCH_CEILING_SECONDS', QUICK ? 5 : 10);
const EMBEDDED_CLIENTS = intEnv('BENCH_EMBEDDED_CLIENTS', 64);

const TARGET = { throughput: 1000, p99AtRate: 50, correctionRatio: 1.2 };
const payment = (amount = 1) => ({ date: '2026-11-10', paymentAmount: amount, paymentRecipient: 'CollectionPartner' });

/** Closed loop: `concurrency` clients, each sends the next payment as soon as the previous one answered. */
async function closedLoop(client, key, caseIds, concurrency, seconds) {
  const latencies = [];
  const failures = new Map();
  const body = payment();
  const t0 = now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < end) {
        const caseId = caseIds[Math.floor(Math.random() * caseIds.length)];
        const start = now();
        try {
          const res = await client.request('POST', `/cases/${caseId}/payments`, { key, body });
          if (res.status === 200) latencies.push(now() - start);
          else failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
        } catch (error) {
          failures.set(error.code ?? 'network', (failures.get(error.code ?? 'network') ?? 0) + 1);
        }
      }
    }),
  );
  const elapsed = (now() - t0) / 1000;
  return { concurrency, elapsed, ok: latencies.length, throughput: latencies.length / elapsed, failures: Object.fromEntries(failures), ...stats(latencies) };
}

/**
 * Open loop: request i is due at t0 + i/rate whatever happened to the others (no coordinated omission).
 * Latency counts from the due time (what a caller at that rate sees) and, separately, from the send.
 */
async function openLoop(client, key, caseIds, rate, seconds, maxInFlight = 512) {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const fromDue = [];
  const fromSend = [];
  const failures = new Map();
  const pending = [];
  const body = payment();
  let sent = 0;
  let maxLag = 0;
  let inFlight = 0;
  let dropped = 0;
  const t0 = now() + 20;
  const fire = (due) => {
    // A saturated system would otherwise queue without bound; past the cap a request is dropped (counted).
    if (inFlight >= maxInFlight) return void (dropped += 1);
    inFlight += 1;
    const caseId = caseIds[Math.floor(Math.random() * caseIds.length)];
    const start = now();
    maxLag = Math.max(maxLag, start - due);
    pending.push(
      client.request('POST', `/cases/${caseId}/payments`, { key, body }).then(
        (res) => {
          const t = now();
          inFlight -= 1;
          if (res.status === 200) {
            fromDue.push(t - due);
            fromSend.push(t - start);
          } else failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
        },
        (error) => {
          inFlight -= 1;
          failures.set(error.code ?? 'network', (failures.get(error.code ?? 'network') ?? 0) + 1);
        },
      ),
    );
  };
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      while (sent < total && t0 + sent * interval <= t) fire(t0 + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - now() - 0.5));
      else resolve();
    };
    setTimeout(tick, 20);
  });
  const sendWindow = (now() - t0) / 1000;
  await Promise.all(pending);
  return {
    rate,
    total,
    offered: total / sendWindow,
    ok: fromDue.length,
    dropped,
    maxInFlight,
    failures: Object.fromEntries(failures),
    maxSchedulerLagMs: maxLag,
    fromDue: stats(fromDue),
    fromSend: stats(fromSend),
  };
}

async function timed(fn) {
  const start = now();
  await fn();
  return now() - start;
}

/**
 * Gives `caseId` `count` more payments like its one existing payment `templateId`, straight in the
 * ledger's tables (payments, payouts, journal, audit, account totals) — 10,000 POSTs on one case are
 * serialised by the account lock and would take minutes on this machine. Columns are read from the
 * catalogue, so a new column is copied along; the payment id columns get fresh ids.
 */
function cloneSeed(probe, caseId, templateId, count) {
  return probe.withClient((db) => cloneSeedOn(db, caseId, templateId, count));
}

async function cloneSeedOn(db, caseId, templateId, count) {
  const columns = async (table) =>
    (
      await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'ledger' AND table_name = $1 ORDER BY ordinal_position`, [table])
    ).rows.map((r) => r.column_name);
  const copy = async (table, idColumn, overrides = {}) => {
    const cols = (await columns(table)).filter((c) => c !== 'seq');
    const values = cols.map((c) => (c === idColumn ? 's.id' : (overrides[c] ?? `t.${c}`)));
    await db.query(
      `INSERT INTO ledger.${table} (${cols.join(', ')}) SELECT ${values.join(', ')} FROM ledger.${table} t CROSS JOIN bench_seed s WHERE t.${idColumn} = $1 ORDER BY s.n`,
      [templateId],
    );
  };
  await db.query('BEGIN');
  try {
    await db.query(`CREATE TEMP TABLE bench_seed ON COMMIT DROP AS SELECT gen_random_uuid() AS id, n FROM generate_series(1, ${Number(count)}) n`);
    await copy('payments', 'id', { created_at: `t.created_at - s.n * interval '1 millisecond'`, updated_at: `t.updated_at - s.n * interval '1 millisecond'` });
    await copy('payouts', 'payment_id');
    await copy('journal', 'payment_id');
    await copy('audit', 'payment_id', { id: 'gen_random_uuid()' });
    await db.query(
      `UPDATE ledger.accounts a SET total_payments = a.total_payments + $2::bigint * p.amount, payment_count = a.payment_count + $2::int FROM ledger.payments p WHERE p.id = $3 AND a.case_id = $1`,
      [caseId, count, templateId],
    );
    const ids = (await db.query('SELECT id FROM bench_seed ORDER BY n')).rows.map((r) => r.id);
    await db.query('COMMIT');
    await db.query('ANALYZE ledger.payments, ledger.payouts, ledger.journal, ledger.audit');
    return ids;
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

const load1 = () => os.loadavg()[0].toFixed(1);

let stackBest;
let pgCeiling;
await withStack('payments', {}, async ({ client, db, infra, machine }) => {
  log(`ceiling: the one-statement record with pgbench on the same PostgreSQL, ${CEILING_SECONDS} s per client count`);
  pgCeiling = await postgresCeiling(infra.databaseUrl, { clients: QUICK ? [16] : [8, 32], seconds: CEILING_SECONDS });
  const partner = await client.newPartner('Bench Payments Agency');
  const key = partner.apiKey;
  const caseIds = [];
  await forEachLimit(CASES, 8, async () => caseIds.push((await client.newCase(partner.id)).id));
  log(`${CASES} cases with grossAmount 1,000,000,000 EUR (never closed by these payments)`);

  log('warm-up: 5 s at 16 clients (not reported)');
  await closedLoop(client, key, caseIds, 16, 5);
  await settle(db);

  const closed = [];
  for (const c of CONCURRENCY) {
    log(`closed loop: ${c} clients for ${SECONDS} s`);
    const cpuBefore = await cpuSnapshot(db);
    const r = { ...(await closedLoop(client, key, caseIds, c, SECONDS)), load: load1() };
    closed.push(r);
    log(`  ${r.throughput.toFixed(0)} payments/s, p99 ${ms(r.p99)} ms, load average ${r.load}`);
    r.drainSeconds = await settle(db);
    // CPU of every component until the asynchronous work (consumers) of these payments is done too.
    const used = cpuDelta(cpuBefore, await cpuSnapshot(db));
    r.cpuMsPerPayment = Object.fromEntries(Object.entries(used.cpu).map(([k, v]) => [k, v / r.ok]));
    r.commitsPerPayment = used.commits / r.ok;
  }

  log(`open loop: ${RATE} payments/s for ${RATE_SECONDS} s`);
  const open = { ...(await openLoop(client, key, caseIds, RATE, RATE_SECONDS)), load: load1() };
  log(`  p99 ${ms(open.fromDue.p99)} ms (from due time), ${open.dropped} dropped, load average ${open.load}`);
  open.drainSeconds = await settle(db);

  // Corrections: one case with BIG payments, CORRECTIONS cases with exactly one payment each.
  const big = await client.newCase(partner.id);
  const restSeed = process.env.BENCH_SEED === 'rest';
  const seedStart = now();
  let bigPayments = [];
  if (restSeed) {
    log(`seeding ${BIG} payments on one case through the API (16 concurrent POSTs)…`);
    await forEachLimit(BIG, 16, async () =>
      bigPayments.push((await client.expect(200, 'POST', `/cases/${big.id}/payments`, { key, body: payment() })).paymentId),
    );
  } else {
    log(`seeding ${BIG} payments on one case: 1 through the API, ${BIG - 1} cloned from it in the ledger tables (BENCH_SEED=rest to POST them all)`);
    const first = (await client.expect(200, 'POST', `/cases/${big.id}/payments`, { key, body: payment() })).paymentId;
    bigPayments = [first, ...(await cloneSeed(db, big.id, first, BIG - 1))];
  }
  const seedSeconds = (now() - seedStart) / 1000;
  log(`  seeded in ${seedSeconds.toFixed(1)} s`);
  const singles = [];
  await forEachLimit(CORRECTIONS + 1, 8, async () => {
    const c = await client.newCase(partner.id);
    const res = await client.expect(200, 'POST', `/cases/${c.id}/payments`, { key, body: payment() });
    singles.push({ caseId: c.id, paymentId: res.paymentId });
  });
  const bigCase = await client.expect(200, 'GET', `/cases/${big.id}`, { key });
  const { rows } = await db.query(
    `SELECT payment_count, (SELECT count(*)::int FROM ledger.payments WHERE case_id = $1) AS rows FROM ledger.accounts WHERE case_id = $1`,
    [big.id],
  );
  log(
    `big case: payment_count ${rows[0].payment_count}, ${rows[0].rows} payment rows, totalPayments ${bigCase.totalPayments}; ${singles.length} cases hold 1 payment`,
  );
  await settle(db);

  // Sequential (one request at a time), big and small interleaved so background load hits both alike.
  const put = (caseId, paymentId, amount) => client.expect(200, 'PUT', `/cases/${caseId}/payments/${paymentId}`, { key, body: payment(amount) });
  const del = (caseId, paymentId) => client.expect(204, 'DELETE', `/cases/${caseId}/payments/${paymentId}`, { key });
  const warm = singles.pop();
  for (let i = 0; i < 20; i++) {
    await put(big.id, bigPayments[BIG - 1], 2 + (i % 2));
    await put(warm.caseId, warm.paymentId, 2 + (i % 2));
  }
  const lat = { putBig: [], putSmall: [], deleteBig: [], deleteSmall: [] };
  for (let i = 0; i < CORRECTIONS; i++) {
    lat.putBig.push(await timed(() => put(big.id, bigPayments[i], 2)));
    lat.putSmall.push(await timed(() => put(singles[i].caseId, singles[i].paymentId, 2)));
  }
  for (let i = 0; i < CORRECTIONS; i++) {
    lat.deleteBig.push(await timed(() => del(big.id, bigPayments[CORRECTIONS + i])));
    lat.deleteSmall.push(await timed(() => del(singles[i].caseId, singles[i].paymentId)));
  }
  const c = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, stats(v)]));
  const correctionLoad = load1();

  // ---- figures ----
  const best = closed.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  stackBest = { ...best, cpuMsPerPayment: totalCpuOf(best) };
  table(
    `Record payments, closed loop (POST /cases/{id}/payments, ${CASES} cases, random case per request)`,
    ['clients', 'seconds', 'payments', 'payments/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'non-2xx', 'load avg', 'drain s'],
    closed.map((r) => [
      r.concurrency,
      r.elapsed.toFixed(1),
      r.ok,
      r.throughput.toFixed(0),
      ms(r.p50),
      ms(r.p95),
      ms(r.p99),
      ms(r.max),
      JSON.stringify(r.failures),
      r.load,
      r.drainSeconds.toFixed(1),
    ]),
  );
  const components = Object.keys(closed[0].cpuMsPerPayment);
  const totalCpu = totalCpuOf;
  table(
    'CPU time per recorded payment, ms (measured from /proc over the run and its drain; PostgreSQL is a lower bound)',
    ['clients', ...components, 'total (no client)', '2-core ceiling/s', 'PG commits/payment (incl. pollers)'],
    closed.map((r) => [
      r.concurrency,
      ...components.map((k) => r.cpuMsPerPayment[k].toFixed(2)),
      totalCpu(r).toFixed(2),
      (2000 / totalCpu(r)).toFixed(0),
      r.commitsPerPayment.toFixed(1),
    ]),
  );
  table(
    `Record payments, open loop at ${RATE}/s for ${RATE_SECONDS} s (at most ${open.maxInFlight} in flight; load avg ${open.load})`,
    ['latency measured from', 'answered', 'dropped', 'offered/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'non-2xx'],
    [
      [
        'due time (corrected)',
        open.ok,
        open.dropped,
        open.offered.toFixed(0),
        ms(open.fromDue.p50),
        ms(open.fromDue.p95),
        ms(open.fromDue.p99),
        ms(open.fromDue.max),
        JSON.stringify(open.failures),
      ],
      ['actual send', open.ok, '', '', ms(open.fromSend.p50), ms(open.fromSend.p95), ms(open.fromSend.p99), ms(open.fromSend.max), ''],
    ],
  );
  const ratio = (a, b, p) => a[p] / b[p];
  table(
    `Corrections, sequential, ${CORRECTIONS} each: case with ${BIG} payments vs case with 1 (load avg ${correctionLoad})`,
    ['operation', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'ratio p50', 'ratio p95', 'ratio p99'],
    [
      ['PUT, case with 1', ms(c.putSmall.p50), ms(c.putSmall.p95), ms(c.putSmall.p99), ms(c.putSmall.max), '', '', ''],
      [
        `PUT, case with ${BIG}`,
        ms(c.putBig.p50),
        ms(c.putBig.p95),
        ms(c.putBig.p99),
        ms(c.putBig.max),
        ratio(c.putBig, c.putSmall, 'p50').toFixed(2),
        ratio(c.putBig, c.putSmall, 'p95').toFixed(2),
        ratio(c.putBig, c.putSmall, 'p99').toFixed(2),
      ],
      ['DELETE, case with 1', ms(c.deleteSmall.p50), ms(c.deleteSmall.p95), ms(c.deleteSmall.p99), ms(c.deleteSmall.max), '', '', ''],
      [
        `DELETE, case with ${BIG}`,
        ms(c.deleteBig.p50),
        ms(c.deleteBig.p95),
        ms(c.deleteBig.p99),
        ms(c.deleteBig.max),
        ratio(c.deleteBig, c.deleteSmall, 'p50').toFixed(2),
        ratio(c.deleteBig, c.deleteSmall, 'p95').toFixed(2),
        ratio(c.deleteBig, c.deleteSmall, 'p99').toFixed(2),
      ],
    ],
  );
  const worstRatio = Math.max(ratio(c.putBig, c.putSmall, 'p50'), ratio(c.deleteBig, c.deleteSmall, 'p50'));
  table(
    'Targets (issue 3)',
    ['target', 'measured', 'verdict'],
    [
      [`>= ${TARGET.throughput} payments/s`, `${best.throughput.toFixed(0)}/s (${best.concurrency} clients)`, verdict(best.throughput >= TARGET.throughput)],
      [
        `p99 <= ${TARGET.p99AtRate} ms at ${RATE}/s`,
        `${ms(open.fromDue.p99)} ms${open.dropped ? `, ${open.dropped} dropped` : ''}`,
        verdict(open.fromDue.p99 <= TARGET.p99AtRate && open.ok === open.total),
      ],
      [`correction ratio <= ${TARGET.correctionRatio}x (p50, worse of PUT/DELETE)`, `${worstRatio.toFixed(2)}x`, verdict(worstRatio <= TARGET.correctionRatio)],
    ],
  );
  const out = path.join(root, '.cache/bench/payments.json');
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine,
        ceiling: pgCeiling,
        closed,
        open,
        corrections: c,
        correctionLoad,
        big: BIG,
        seed: restSeed ? 'rest' : 'clone',
        seedSeconds,
      },
      null,
      2,
    ),
  );
  log(`figures also in ${path.relative(root, out)}`);
});

/** quiesce() and how long it took, in seconds. */
async function settle(db) {
  const start = now();
  await quiesce(db);
  return (now() - start) / 1000;
}

/** CPU ms per payment over every component but the bench client itself. */
function totalCpuOf(r) {
  return Object.entries(r.cpuMsPerPayment)
    .filter(([k]) => k !== 'bench client')
    .reduce((sum, [, v]) => sum + v, 0);
}

/** CPU time (ms) a process has used so far, from /proc (Linux). */
function processCpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return NaN;
  }
}

/** The embedded default as `npm start` runs it (one process, PGlite, fresh DATA_DIR), closed loop. */
async function embeddedRun() {
  const output = fs.createWriteStream(path.join(root, '.cache/bench/payments-embedded.log'));
  const embedded = await require('@pp/testing').startEmbedded({ env: { ADMIN_API_KEY: ADMIN, RATE_LIMIT_PER_MINUTE: '100000000' }, output });
  try {
    const client = new Client(embedded.url);
    try {
      const partner = await client.newPartner('Bench Embedded Agency');
      const caseIds = [];
      await forEachLimit(CASES, 8, async () => caseIds.push((await client.newCase(partner.id)).id));
      log('embedded: warm-up 3 s at 16 clients (not reported)');
      await closedLoop(client, partner.apiKey, caseIds, 16, 3);
      log(`embedded: closed loop, ${EMBEDDED_CLIENTS} clients for ${SECONDS} s`);
      const cpuBefore = processCpuMs(embedded.pid);
      const r = await closedLoop(client, partner.apiKey, caseIds, EMBEDDED_CLIENTS, SECONDS);
      r.cpuMsPerPayment = (processCpuMs(embedded.pid) - cpuBefore) / r.ok;
      log(`  ${r.throughput.toFixed(0)} payments/s, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms, ${r.cpuMsPerPayment.toFixed(1)} ms CPU per payment`);
      return r;
    } finally {
      client.close();
    }
  } finally {
    await embedded.stop();
    output.end();
  }
}

const embedded = await embeddedRun();
log(`ceiling: the same statement on PGlite, sequential, ${CEILING_SECONDS} s`);
const pgliteMax = await pgliteCeiling({ seconds: CEILING_SECONDS });
table(
  'Embedded default (npm start: one process, PGlite)',
  ['clients', 'payments', 'payments/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'CPU ms/payment'],
  [
    [
      embedded.concurrency,
      embedded.ok,
      embedded.throughput.toFixed(0),
      ms(embedded.p50),
      ms(embedded.p99),
      ms(embedded.max),
      JSON.stringify(embedded.failures),
      embedded.cpuMsPerPayment.toFixed(1),
    ],
  ],
);
const stackRatio = stackBest.throughput / pgCeiling.tps;
const embeddedRatio = embedded.throughput / pgliteMax.tps;
table(
  "Against the database's own ceiling, same run (issue 12)",
  ['what', 'measured', 'goal', 'floor', 'verdict'],
  [
    [
      'stack / PostgreSQL one-statement',
      `${stackRatio.toFixed(2)} (${stackBest.throughput.toFixed(0)}/s of ${pgCeiling.tps.toFixed(0)}/s)`,
      '>= 0.50',
      '>= 0.25',
      verdict(stackRatio >= 0.5),
    ],
    ['stack CPU per payment, all processes', `${stackBest.cpuMsPerPayment.toFixed(2)} ms`, '<= 3 ms', '<= 5 ms', verdict(stackBest.cpuMsPerPayment <= 3)],
    [
      'embedded / PGlite one-statement',
      `${embeddedRatio.toFixed(2)} (${embedded.throughput.toFixed(0)}/s of ${pgliteMax.tps.toFixed(0)}/s)`,
      '>= 0.50',
      '5x the 22-27/s before',
      verdict(embeddedRatio >= 0.5),
    ],
    [`embedded, no request over 1 s at ${EMBEDDED_CLIENTS} connections`, `max ${ms(embedded.max)} ms`, '', '<= 1000 ms', verdict(embedded.max <= 1000)],
  ],
);
process.stdout.write(`\n${ratioLine('stack', stackBest.throughput, pgCeiling.tps, 'PostgreSQL')}\n`);
process.stdout.write(`${ratioLine('embedded', embedded.throughput, pgliteMax.tps, 'PGlite')}\n`);
const out = path.join(root, '.cache/bench/payments-ceiling.json');
fs.writeFileSync(
  out,
  JSON.stringify(
    { at: new Date().toISOString(), quick: QUICK, postgres: pgCeiling, pglite: pgliteMax, stack: stackBest, embedded, stackRatio, embeddedRatio },
    null,
    2,
  ),
);
