#!/usr/bin/env node
// Issue 4: time from a payment's 2xx (Creditor + Unpaid on a production case) to its InvoiceClient task
// being visible in GET /tasks?caseId=… . Each worker records one payment, then polls tightly for its
// task; at most BENCH_WORKERS payments are in flight. Mail goes to files under a temporary DATA_DIR.
//
//   node bench/follow-up.mjs        (or: npm run bench -- follow-up)
//
// Knobs (env): BENCH_PAYMENTS (1000), BENCH_WORKERS (8), BENCH_CASES (100), BENCH_POLL_MS (5).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { forEachLimit, intEnv, log, ms, now, quiesce, root, sleep, stats, table, verdict, withStack } from './lib.mjs';

const PAYMENTS = intEnv('BENCH_PAYMENTS', 1000);
const WORKERS = intEnv('BENCH_WORKERS', 8);
const CASES = intEnv('BENCH_CASES', 100);
const POLL_MS = intEnv('BENCH_POLL_MS', 5);
const TIMEOUT_MS = 30_000;
const TARGET_P99 = 300;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-bench-follow-up-'));
try {
  await withStack('follow-up', { DATA_DIR: dataDir }, async ({ client, db, machine }) => {
    const partner = await client.newPartner('Bench Follow Up Agency');
    const key = partner.apiKey;
    const caseIds = [];
    await forEachLimit(CASES, 8, async () => caseIds.push((await client.newCase(partner.id)).id));
    const body = { date: '2026-11-10', paymentAmount: 10, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' };

    const one = async (caseId) => {
      const res = await client.expect(200, 'POST', `/cases/${caseId}/payments`, { key, body });
      const ok = now();
      const okWall = Date.now();
      let polls = 0;
      for (;;) {
        polls += 1;
        const tasks = await client.expect(200, 'GET', `/tasks?caseId=${caseId}`, { key });
        const task = tasks.find((t) => t.paymentId === res.paymentId && t.type === 'InvoiceClient');
        if (task) return { visible: now() - ok, created: Date.parse(task.createdAt) - okWall, polls };
        if (now() - ok > TIMEOUT_MS) return { visible: NaN, created: NaN, polls, timedOut: true };
        await sleep(POLL_MS);
      }
    };

    log('warm-up: 50 payments (not reported)');
    await forEachLimit(50, WORKERS, (i) => one(caseIds[i % CASES]));
    await quiesce(db);

    log(`${PAYMENTS} payments over ${CASES} cases, ${WORKERS} in flight, polling every ${POLL_MS} ms`);
    const results = [];
    const t0 = now();
    await forEachLimit(PAYMENTS, WORKERS, async (i) => results.push(await one(caseIds[i % CASES])));
    const elapsed = (now() - t0) / 1000;
    const visible = stats(results.filter((r) => !r.timedOut).map((r) => r.visible));
    const created = stats(results.filter((r) => !r.timedOut).map((r) => r.created));
    const polls = stats(results.map((r) => r.polls));
    const timedOut = results.filter((r) => r.timedOut).length;
    await quiesce(db);
    const mails = fs.existsSync(path.join(dataDir, 'mail')) ? fs.readdirSync(path.join(dataDir, 'mail')).length : 0;

    table(
      `Follow-up: payment 2xx -> InvoiceClient task (${PAYMENTS} payments, ${WORKERS} in flight, ${(PAYMENTS / elapsed).toFixed(0)} payments/s)`,
      ['measure', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'timed out'],
      [
        ['visible in GET /tasks?caseId= (client clock)', visible.n, ms(visible.p50), ms(visible.p95), ms(visible.p99), ms(visible.max), timedOut],
        ['task createdAt - 2xx (server clock, same host)', created.n, ms(created.p50), ms(created.p95), ms(created.p99), ms(created.max), ''],
      ],
    );
    log(`polls per payment: p50 ${polls.p50}, p99 ${polls.p99}; ${mails} mail file(s) written under DATA_DIR`);
    table(
      'Target (issue 4)',
      ['target', 'measured', 'verdict'],
      [[`p99 <= ${TARGET_P99} ms`, `${ms(visible.p99)} ms`, verdict(visible.p99 <= TARGET_P99 && timedOut === 0)]],
    );
    const out = path.join(root, '.cache/bench/follow-up.json');
    fs.writeFileSync(
      out,
      JSON.stringify(
        { at: new Date().toISOString(), machine, payments: PAYMENTS, workers: WORKERS, elapsed, visible, created, polls, timedOut, mails },
        null,
        2,
      ),
    );
    log(`figures also in ${path.relative(root, out)}`);
  });
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
