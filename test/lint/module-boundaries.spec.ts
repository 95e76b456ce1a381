// The module-boundary rules are enforced by the lint: the pure domain package cannot import knex, pg,
// kafkajs, gRPC, an HTTP framework or Node's I/O, no service imports another service, and no two
// modules import each other, directly or around a longer cycle (import-x/no-cycle). Each case
// lints an in-memory variant of a real source file (so type-aware rules see it in its project).
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
// In CI typescript-eslint switches to "single run" mode, which parses files from disk and would ignore
// the in-memory variants linted here.
process.env.TSESTREE_SINGLE_RUN = 'false';
const eslint = new ESLint({ cwd: root });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const DOMAIN_FILE = 'packages/domain/src/reference.ts';
const LEDGER_FILE = 'services/ledger/src/app/context.ts';

describe('module boundaries', { timeout: 120_000 }, () => {
  it('accepts the domain file as it is', async () => {
    const fs = await import('node:fs/promises');
    expect(await problems(DOMAIN_FILE, await fs.readFile(path.join(root, DOMAIN_FILE), 'utf8'))).toEqual([]);
  });

  it.each(['knex', 'pg', 'kafkajs', '@grpc/grpc-js', 'fastify', 'node:fs'])('refuses %s in the domain package', async (pkg) => {
    const found = await problems(DOMAIN_FILE, `import * as banned from '${pkg}';\nexport const x = banned;\n`);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^(@nx\/enforce-module-boundaries|no-restricted-imports): /)]));
  });

  it('refuses a service importing another service', async () => {
    const found = await problems(LEDGER_FILE, `import { startGateway } from '@pp/gateway';\nexport const x = startGateway;\n`);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^no-restricted-imports: .*never imports another service/)]));
  });

  it('refuses the domain package depending on the platform adapters', async () => {
    const found = await problems(DOMAIN_FILE, `import { createDb } from '@pp/platform';\nexport const x = createDb;\n`);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^@nx\/enforce-module-boundaries: /)]));
  });

  it('refuses an import cycle: the path-id module importing a route module that imports it', async () => {
    const IDS_FILE = 'services/gateway/src/http/ids.ts';
    const fs = await import('node:fs/promises');
    const source = await fs.readFile(path.join(root, IDS_FILE), 'utf8');
    expect(await problems(IDS_FILE, source)).toEqual([]);
    const found = await problems(IDS_FILE, `${source}\nimport { caseRoutes } from './routes/cases';\nexport const routes = caseRoutes;\n`);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(/^import-x\/no-cycle: /)]));
  });
});
