#!/usr/bin/env node
// Issue 5: time from a payment's 2xx to the webhook receiver getting its payment.created event.
// One subscription (payment.created) on a receiver on loopback that answers 204 at once; payments are
// sent open-loop at a fixed rate; events are matched to payments by data.payment.id.
//
//   node bench/webhooks.mjs        (or: npm run bench -- webhooks)
//
// Knobs (env): BENCH_EVENTS (1000), BENCH_RATE (20 payments/s: below what this stack sustains on a busy
// 2-core machine, so the figure is delivery latency, not a growing backlog), BENCH_CASES (100).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { forEachLimit, intEnv, log, ms, now, quiesce, root, sleep, stats, table, verdict, withStack } from './lib.mjs';

const EVENTS = intEnv('BENCH_EVENTS', 1000);
const RATE = intEnv('BENCH_RATE', 20);
const CASES = intEnv('BENCH_CASES', 100);
const TIMEOUT_MS = 60_000;
const TARGET_P99 = 200;

/** Loopback receiver: first arrival time per payment id, plus duplicates (at-least-once). */
function startReceiver() {
  const arrivals = new Map();
  let duplicates = 0;
  let other = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      res.writeHead(204).end();
      try {
        const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const id = envelope?.data?.payment?.id;
        if (envelope.event !== 'payment.created' || !id) other += 1;
        else if (arrivals.has(id)) duplicates += 1;
        else arrivals.set(id, at);
      } catch {
        other += 1;
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hook`,
        arrivals,
        counts: () => ({ duplicates, other }),
        stop: () => new Promise((r) => (server.closeAllConnections?.(), server.close(() => r()))),
      }),
    ),
  );
}

const receiver = await startReceiver();
try {
  await withStack('webhooks', { WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' }, async ({ client, db, machine }) => {
    const partner = await client.newPartner('Bench Webhook Agency');
    const key = partner.apiKey;
    await client.expect(201, 'POST', '/webhooks', { key, body: { url: receiver.url, events: ['payment.created'] } });
    const caseIds = [];
    await forEachLimit(CASES, 8, async () => caseIds.push((await client.newCase(partner.id)).id));
    const body = { date: '2026-11-10', paymentAmount: 1, paymentRecipient: 'CollectionPartner' };
    const record = async (caseId, okAt) => {
      const res = await client.expect(200, 'POST', `/cases/${caseId}/payments`, { key, body });
      okAt.set(res.paymentId, now());
    };

    log('warm-up: 50 payments (not reported)');
    const warm = new Map();
    await forEachLimit(50, 4, (i) => record(caseIds[i % CASES], warm));
    await quiesce(db);

    log(`${EVENTS} payments at ${RATE}/s (open loop) over ${CASES} cases`);
    const okAt = new Map();
    const pending = [];
    const interval = 1000 / RATE;
    const t0 = now() + 20;
    let sent = 0;
    await new Promise((resolve) => {
      const tick = () => {
        while (sent < EVENTS && t0 + sent * interval <= now()) pending.push(record(caseIds[sent++ % CASES], okAt));
        if (sent < EVENTS) setTimeout(tick, Math.max(0, t0 + sent * interval - now() - 0.5));
        else resolve();
      };
      setTimeout(tick, 20);
    });
    await Promise.all(pending);
    const sendSeconds = (now() - t0) / 1000;
    const deadline = now() + TIMEOUT_MS;
    while ([...okAt.keys()].some((id) => !receiver.arrivals.has(id)) && now() < deadline) await sleep(50);
    const latencies = [];
    let missing = 0;
    // Map keeps insertion order = answer order: windows show whether delivery keeps up or falls behind.
    const windows = [];
    const WINDOW = Math.max(1, Math.round(EVENTS / 10));
    let window = [];
    for (const [id, ok] of okAt) {
      const at = receiver.arrivals.get(id);
      if (at === undefined) missing += 1;
      else {
        latencies.push(at - ok);
        window.push(at - ok);
      }
      if (window.length === WINDOW) {
        windows.push(stats(window));
        window = [];
      }
    }
    if (window.length > 0) windows.push(stats(window));
    const s = stats(latencies);
    const { duplicates } = receiver.counts();
    const { rows } = await db.query(`SELECT count(*)::int AS n, sum(attempt_count)::int AS attempts FROM cases.webhook_deliveries`);

    table(
      `Webhooks: payment 2xx -> receiver got payment.created (${EVENTS} events at ${(EVENTS / sendSeconds).toFixed(0)} payments/s)`,
      ['events', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'min ms', 'missing', 'duplicates'],
      [[s.n, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ms(Math.min(...latencies)), missing, duplicates]],
    );
    table(
      `Webhook latency by window of ${WINDOW} payments, in sending order (growing = delivery falls behind)`,
      ['window', 'p50 ms', 'p99 ms', 'max ms'],
      windows.map((w, i) => [`${i * WINDOW + 1}-${i * WINDOW + w.n}`, ms(w.p50), ms(w.p99), ms(w.max)]),
    );
    // Where the time goes (server clocks, one host): ledger commit -> fan-out row in case-lifecycle
    // (outbox relay + Kafka hop 1 + consumer) -> delivered (outbox relay + Kafka hop 2 + POST + record).
    const hops = await db.query(
      `SELECT extract(epoch FROM d.created_at - p.created_at) * 1000 AS fanout, extract(epoch FROM d.delivered_at - d.created_at) * 1000 AS deliver
         FROM cases.webhook_deliveries d JOIN ledger.payments p ON p.id = (d.payload::jsonb #>> '{data,payment,id}')::uuid
        WHERE d.delivered_at IS NOT NULL AND p.id = ANY($1::uuid[])`,
      [[...okAt.keys()]],
    );
    const fanout = stats(hops.rows.map((r) => Number(r.fanout)));
    const deliver = stats(hops.rows.map((r) => Number(r.deliver)));
    table(
      'Breakdown (server timestamps)',
      ['stage', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      [
        ['ledger commit -> delivery row in case-lifecycle (relay, Kafka, consumer)', fanout.n, ms(fanout.p50), ms(fanout.p95), ms(fanout.p99), ms(fanout.max)],
        ['delivery row -> delivered (relay, Kafka, HTTP POST)', deliver.n, ms(deliver.p50), ms(deliver.p95), ms(deliver.p99), ms(deliver.max)],
      ],
    );
    log(`deliveries in the database: ${rows[0].n} (attempts ${rows[0].attempts})`);
    table(
      'Target (issue 5)',
      ['target', 'measured', 'verdict'],
      [[`p99 <= ${TARGET_P99} ms`, `${ms(s.p99)} ms`, verdict(s.p99 <= TARGET_P99 && missing === 0)]],
    );
    const out = path.join(root, '.cache/bench/webhooks.json');
    fs.writeFileSync(
      out,
      JSON.stringify({ at: new Date().toISOString(), machine, events: EVENTS, rate: RATE, latency: s, windows, fanout, deliver, missing, duplicates }, null, 2),
    );
    log(`figures also in ${path.relative(root, out)}`);
  });
} finally {
  await receiver.stop();
}
