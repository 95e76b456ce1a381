// Issue 11, the short chaos run: a small load of payments and corrections (Idempotency-Keys, edits,
// deletes, settlements, closes and reopens) while each service is killed with SIGKILL and restarted in
// turn and the shared Kafka broker restarts. Nothing acknowledged may be lost or doubled: payments,
// account totals, lifecycle, outboxes, public events, webhooks, follow-up tasks and e-mails. The load
// and the audit are packages/testing/src/chaos.ts, the same code as `npm run chaos` (bench/chaos.mjs).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chaosStackEnv, MailSink, runChaos, startStack, WebhookSink, type RunningStack } from '@pp/testing';
import { ADMIN } from './rest-harness';

let stack: RunningStack;
const mail = new MailSink();
const webhooks = new WebhookSink();

beforeAll(async () => {
  await mail.start();
  await webhooks.start();
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, ...chaosStackEnv({ smtpUrl: mail.url }) },
  });
});

afterAll(async () => {
  await stack?.stop();
  await webhooks.stop();
  await mail.stop();
});

describe('chaos: kill -9 every service and restart Kafka under load', () => {
  it('loses nothing and doubles nothing', async () => {
    const report = await runChaos({
      gatewayUrl: stack.gatewayUrl,
      databaseUrl: inject('databaseUrl'),
      adminKey: ADMIN,
      mail,
      webhooks,
      faults: ['gateway', 'ledger', 'case-lifecycle', 'follow-up', 'kafka'],
      control: {
        killAndRestart: async (service) => {
          await stack.kill(service, 'SIGKILL');
          await stack.restart(service);
        },
        restartKafka: async () => {
          const res = await fetch(`${inject('infraControlUrl')}/kafka/restart`, { method: 'POST' });
          if (res.status !== 204) throw new Error(`Kafka restart failed: ${res.status} ${await res.text()}`);
        },
      },
      partners: 2,
      cases: 8,
      payments: 120,
      concurrency: 8,
      seed: 11,
      requestDeadlineMs: 60_000,
      attemptTimeoutMs: 15_000,
      convergeTimeoutMs: 60_000,
      log: (line) => console.log(`[chaos] ${line}`),
    });
    console.log(report.lines.join('\n'));
    const defects = report.checks.flatMap((c) =>
      c.must.filter((m) => (c.figures[m] ?? 0) > 0).map((m) => `${c.name}: ${m} ${c.figures[m]} ${c.examples.join(' | ')}`),
    );
    expect(defects).toEqual([]);
    expect(report.faults.map((f) => f.fault)).toEqual(['gateway', 'ledger', 'case-lifecycle', 'follow-up', 'kafka']);
    expect(report.stats.recorded).toBe(120);
    expect(report.convergedMs, 'converged before the audit deadline').toBeDefined();
  }, 170_000);
});
