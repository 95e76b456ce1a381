#!/usr/bin/env node
// `npm run chaos` (issue 11): the distributed stack on fresh PostgreSQL + Kafka, a real SMTP server and a
// real webhook receiver on loopback; a bounded load of payments and corrections while every service is
// killed with SIGKILL and restarted in turn and the Kafka broker restarts; then an audit of PostgreSQL and
// the REST API until converged. The load and the audit are packages/testing/src/chaos.ts (the same code
// as services/gateway/test/chaos.int.spec.ts). Exit 1 on any loss, doubling or mismatch, or no convergence.
//
// Env: CHAOS_PAYMENTS (1000), CHAOS_CASES (40), CHAOS_PARTNERS (2), CHAOS_CONCURRENCY (12), CHAOS_SEED (11),
// CHAOS_FAULTS (gateway,ledger,case-lifecycle,follow-up,kafka), CHAOS_CONVERGE_TIMEOUT seconds (120),
// CHAOS_CHASE_AFTER (PT5S), CHAOS_QUICK=1 (200 payments over 10 cases).
import { createRequire } from 'node:module';
import { ADMIN, intEnv, log, machine, withStack } from './lib.mjs';

const require = createRequire(import.meta.url);
if (process.env.npm_lifecycle_event === 'chaos') process.env.BENCH_SKIP_BUILD = '1'; // the npm script has just built

const quick = process.env.CHAOS_QUICK === '1';
const faults = (process.env.CHAOS_FAULTS ?? 'gateway,ledger,case-lifecycle,follow-up,kafka')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

async function main() {
  const testing = require('@pp/testing');
  const known = testing.CHAOS_FAULTS;
  const bad = faults.filter((f) => !known.includes(f));
  if (bad.length > 0) throw new Error(`CHAOS_FAULTS: unknown ${bad.join(', ')} (known: ${known.join(', ')})`);
  const d = testing.CHAOS_DEFAULTS;
  const options = {
    payments: intEnv('CHAOS_PAYMENTS', quick ? 200 : d.payments),
    cases: intEnv('CHAOS_CASES', quick ? 10 : d.cases),
    partners: intEnv('CHAOS_PARTNERS', d.partners),
    concurrency: intEnv('CHAOS_CONCURRENCY', d.concurrency),
    seed: intEnv('CHAOS_SEED', d.seed),
    convergeTimeoutMs: intEnv('CHAOS_CONVERGE_TIMEOUT', d.convergeTimeoutMs / 1000) * 1000,
    requestDeadlineMs: d.requestDeadlineMs,
    attemptTimeoutMs: d.attemptTimeoutMs,
  };
  const mail = new testing.MailSink();
  const webhooks = new testing.WebhookSink();
  await mail.start();
  await webhooks.start();
  const started = Date.now();
  try {
    const env = testing.chaosStackEnv({ smtpUrl: mail.url, chaseAfter: process.env.CHAOS_CHASE_AFTER || undefined });
    const report = await withStack('chaos', env, async ({ stack, infra }) =>
      testing.runChaos({
        ...options,
        gatewayUrl: stack.gatewayUrl,
        databaseUrl: infra.databaseUrl,
        adminKey: ADMIN,
        mail,
        webhooks,
        faults,
        control: {
          killAndRestart: async (service) => {
            await stack.kill(service, 'SIGKILL');
            await stack.restart(service);
          },
          restartKafka: () => infra.restartKafka(),
        },
        log: (line) => log(`chaos: ${line}`),
      }),
    );
    const m = machine();
    process.stdout.write(
      `\n### Chaos (${new Date().toISOString()}, ${m.cpus} CPUs, node ${m.node}, PostgreSQL ${m.postgres}, seed ${options.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s in all)\n\n`,
    );
    for (const line of report.lines) process.stdout.write(`${line}\n`);
    process.stdout.write(`\nchaos: ${report.ok ? 'PASSED' : 'FAILED'}\n`);
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await webhooks.stop();
    await mail.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
