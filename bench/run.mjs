#!/usr/bin/env node
// `npm run bench [-- payments follow-up webhooks]`: runs the benchmarks one after the other, each in its
// own process with its own fresh PostgreSQL database, Kafka broker and stack. The npm script has already
// built (scripts/ensure.js), so the benchmarks skip that step. Exit code 1 only when a benchmark crashed;
// a missed target is a figure, not a failure.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['payments', 'follow-up', 'webhooks'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
const unknown = chosen.filter((n) => !ALL.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')} (known: ${ALL.join(', ')})\n`);
  process.exit(2);
}

let crashed = 0;
for (const name of chosen) {
  process.stdout.write(`\n## ${name} (${new Date().toISOString()})\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(dir, `${name}.mjs`)], { stdio: 'inherit', env: { ...process.env, BENCH_SKIP_BUILD: '1' } });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) {
    crashed += 1;
    process.stdout.write(`\n${name}: FAILED (exit ${run.status ?? run.signal}) after ${seconds} s\n`);
  } else process.stdout.write(`\n${name}: done in ${seconds} s\n`);
}
process.exit(crashed > 0 ? 1 : 0);
