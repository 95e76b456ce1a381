// `npm test`: install, build, check the formatting, lint and typecheck every project (Nx), then the unit tests and the
// integration tests (real PostgreSQL + Kafka), then one summary line.
const fs = require('node:fs');
const path = require('node:path');
const { root, run, ensureInstalled, ensureBuilt } = require('./ensure');

function counts(file) {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
    return {
      passed: r.numPassedTests ?? 0,
      failed: (r.numFailedTests ?? 0) + (r.numTotalTestSuites > 0 && r.success === false && r.numFailedTests === 0 ? 1 : 0),
      skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    };
  } catch {
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

let failed = false;
function step(name, fn) {
  try {
    fn();
  } catch {
    process.stdout.write(`[test] ${name} failed\n`);
    failed = true;
  }
}

ensureInstalled();
ensureBuilt();
fs.rmSync(path.join(root, '.cache/test-results'), { recursive: true, force: true });
// one formatter for the whole tree (.prettierrc.json, .prettierignore): a file it would change fails the run
step('format check', () => run(path.join(root, 'node_modules/.bin/prettier'), ['--check', '--log-level', 'warn', '.']));
step('lint and typecheck', () => run(path.join(root, 'node_modules/.bin/nx'), ['run-many', '-t', 'lint', 'typecheck', '--output-style=static']));
step('unit tests', () => run(path.join(root, 'node_modules/.bin/vitest'), ['run', '-c', 'vitest.unit.config.ts']));
step('integration tests', () => run(path.join(root, 'node_modules/.bin/vitest'), ['run', '-c', 'vitest.int.config.ts']));
const unit = counts('.cache/test-results/unit.json');
const integration = counts('.cache/test-results/integration.json');
const passed = unit.passed + integration.passed;
const failures = unit.failed + integration.failed + (failed && unit.failed + integration.failed === 0 ? 1 : 0);
process.stdout.write(`\nunit: ${unit.passed} passed, ${unit.failed} failed\nintegration: ${integration.passed} passed, ${integration.failed} failed\n`);
process.stdout.write(`tests: ${passed} passed, ${failures} failed\n`);
process.exit(failed || failures > 0 ? 1 : 0);
