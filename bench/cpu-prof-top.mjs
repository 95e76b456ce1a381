#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from BENCH_CPU_PROF=1): self time by function and by package.
//   node bench/cpu-prof-top.mjs .cache/bench/prof/payments/*.cpuprofile
import * as fs from 'node:fs';
import * as path from 'node:path';

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map();
  const pkg = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url ? callFrame.url.replace(/^file:\/\//, '') : '';
    const name = `${callFrame.functionName || '(anonymous)'} ${where ? `${path.basename(where)}:${callFrame.lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + us);
    const p =
      where.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ??
      (where.includes('/packages/') || where.includes('/services/')
        ? `ours: ${where.match(/(packages|services)\/([^/]+)/)?.[2]}`
        : where.startsWith('node:')
          ? 'node core'
          : callFrame.functionName.startsWith('(')
            ? callFrame.functionName
            : 'other');
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  process.stdout.write(
    `\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled\n by package:\n${top(pkg, 12)}\n by function (self):\n${top(fn, 15)}\n`,
  );
}
