// Preloaded into each service with BENCH_CPU_PROF=1 (NODE_OPTIONS=--require …; Node refuses --cpu-prof
// there): samples the whole process with the inspector and writes a .cpuprofile at exit, readable in
// Chrome DevTools or summarised by `node bench/cpu-prof-top.mjs <file>`.
'use strict';
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  const service = (process.argv[1] ?? 'node').match(/services\/([^/]+)\//)?.[1] ?? path.basename(process.argv[1] ?? 'node');
  process.on('exit', () => {
    // The in-process session answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (!error) fs.writeFileSync(path.join(dir, `${service}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
