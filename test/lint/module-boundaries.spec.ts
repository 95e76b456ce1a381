// The module-boundary rules are enforced by the lint: the pure domain package cannot import knex, pg,
// kafkajs, gRPC, an HTTP framework or Node's I/O, and no service imports another service. Each case
// lints an in-memory variant of a real source file (so type-aware rules see it in its project).
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
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
    expect(found.some((p) => p.startsWith('@nx/enforce-module-boundaries') || p.startsWith('no-restricted-imports'))).toBe(true);
  });

  it('refuses a service importing another service', async () => {
    const found = await problems(LEDGER_FILE, `import { startGateway } from '@pp/gateway';\nexport const x = startGateway;\n`);
    expect(found.some((p) => p.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });

  it('refuses the domain package depending on the platform adapters', async () => {
    const found = await problems(DOMAIN_FILE, `import { createDb } from '@pp/platform';\nexport const x = createDb;\n`);
    expect(found.some((p) => p.startsWith('@nx/enforce-module-boundaries'))).toBe(true);
  });
});
