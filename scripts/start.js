// `npm start`: the embedded default — every service in one process on PGlite and the in-process bus.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { root, ensureInstalled, ensureBuilt } = require('./ensure');

ensureInstalled();
ensureBuilt();
const child = spawn(process.execPath, [path.join(root, 'services/embedded/dist/main.js')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
