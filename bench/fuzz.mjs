#!/usr/bin/env node
// `npm run fuzz` (issue 11): a bounded hostile-input run generated from GET /openapi.json, on both modes:
// the distributed stack (fresh PostgreSQL + Kafka; partial writes read from PostgreSQL) and the embedded
// default (`node services/embedded/dist/main.js` on a fresh DATA_DIR; partial writes read through the
// API). The generator and the checks are packages/testing/src/fuzz.ts (the same code as
// services/gateway/test/fuzz.int.spec.ts). Prints the counts and every offending request; exit 1 when
// any count (5xx, hangs, partial writes, admin bypass, error bodies, foreign ids) is not 0.
//
// Env: FUZZ_SEED (1), FUZZ_REQUESTS per mode (2000), FUZZ_TIME_LIMIT seconds per mode (300),
// FUZZ_TIMEOUT seconds per request (10), FUZZ_MODES (stack,embedded), FUZZ_ONLY=<#>,<#> (resend those).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ADMIN, ensureBuilt, intEnv, log, machine, root, withStack } from './lib.mjs';

const require = createRequire(import.meta.url);
if (process.env.npm_lifecycle_event === 'fuzz') process.env.BENCH_SKIP_BUILD = '1'; // the npm script has just built

const modes = (process.env.FUZZ_MODES ?? 'stack,embedded')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const WEBHOOK_ENV = { WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '100000000' };

function options(testing) {
  const d = testing.FUZZ_DEFAULTS;
  const only = (process.env.FUZZ_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return {
    seed: intEnv('FUZZ_SEED', d.seed),
    requests: intEnv('FUZZ_REQUESTS', d.requests),
    timeLimitMs: intEnv('FUZZ_TIME_LIMIT', d.timeLimitMs / 1000) * 1000,
    requestTimeoutMs: intEnv('FUZZ_TIMEOUT', d.requestTimeoutMs / 1000) * 1000,
    ...(only.length > 0 ? { only } : {}),
  };
}

/** The embedded default as `npm start` runs it, on a fresh DATA_DIR and a free port (packages/testing). */
async function withEmbedded(env, fn) {
  ensureBuilt();
  const logFile = path.join(root, '.cache/bench/fuzz-embedded.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const output = fs.createWriteStream(logFile);
  const embedded = await require('@pp/testing').startEmbedded({ env: { ADMIN_API_KEY: ADMIN, ...env }, output });
  try {
    log(`fuzz: embedded default ready at ${embedded.url}, DATA_DIR ${embedded.dataDir}, log ${path.relative(root, logFile)}`);
    return await fn(embedded.url);
  } finally {
    await embedded.stop();
    output.end();
  }
}

async function main() {
  const testing = require('@pp/testing');
  const bad = modes.filter((m) => m !== 'stack' && m !== 'embedded');
  if (bad.length > 0) throw new Error(`FUZZ_MODES: unknown ${bad.join(', ')} (known: stack, embedded)`);
  const opts = options(testing);
  const receiver = new testing.WebhookSink();
  await receiver.start();
  const reports = [];
  try {
    for (const mode of modes) {
      const common = { ...opts, mode, adminKey: ADMIN, webhookUrl: receiver.url(`/fuzz/${mode}`), log: (line) => log(`fuzz: ${line}`) };
      const report =
        mode === 'stack'
          ? await withStack('fuzz', WEBHOOK_ENV, ({ stack, infra }) =>
              testing.runFuzz({ ...common, baseUrl: stack.gatewayUrl, databaseUrl: infra.databaseUrl }),
            )
          : await withEmbedded(WEBHOOK_ENV, (baseUrl) => testing.runFuzz({ ...common, baseUrl }));
      reports.push(report);
    }
  } finally {
    await receiver.stop();
  }
  const m = machine();
  process.stdout.write(`\n### Fuzz (${new Date().toISOString()}, ${m.cpus} CPUs, node ${m.node}, PostgreSQL ${m.postgres})\n`);
  for (const r of reports) process.stdout.write(`\n${r.lines.join('\n')}\n`);
  const ok = reports.every((r) => r.ok);
  process.stdout.write(`\nfuzz: ${ok ? 'PASSED' : 'FAILED'}\n`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((error) => {
  process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
