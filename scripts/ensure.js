// Shared by `npm start`, `npm run stack` and `npm test`: install dependencies when missing or stale,
// then build every project (Nx caches, so a second run is quick). Node built-ins only.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' } });
}

function ensureInstalled() {
  const marker = path.join(root, 'node_modules/.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (mtime(marker) === 0 || mtime(lock) > mtime(marker)) {
    process.stdout.write('[setup] installing dependencies (npm ci)…\n');
    run(npm, fs.existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
  }
}

function ensureBuilt() {
  process.stdout.write('[setup] building (nx run-many -t build)…\n');
  run(path.join(root, 'node_modules/.bin/nx'), ['run-many', '-t', 'build', '--output-style=static']);
}

module.exports = { root, run, ensureInstalled, ensureBuilt };

if (require.main === module) {
  ensureInstalled();
  ensureBuilt();
}
