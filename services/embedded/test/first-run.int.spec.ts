// The first minute of `npm start` (SPEC §9, issue 16): on an empty DATA_DIR without ADMIN_API_KEY the
// embedded default makes an operator key and a demo partner with a test case, prints them, and the
// README's walk-through runs as written with the printed key; a restart prints the same keys and makes
// nothing again.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded, type RunningEmbedded } from '@pp/testing';

const repoRoot = path.resolve(__dirname, '../../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-first-run-'));
let running: RunningEmbedded | undefined;

afterAll(async () => {
  await running?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the embedded default on `dataDir` without ADMIN_API_KEY; returns it with what it printed. */
async function start(): Promise<{ embedded: RunningEmbedded; printed: string }> {
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  const embedded = await startEmbedded({ dataDir, output, env: { LOG_LEVEL: 'warn' } });
  running = embedded;
  return { embedded, printed };
}

function keysIn(printed: string) {
  const field = (label: string) => new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(printed)?.[1];
  return { operator: field('Operator key'), demo: field('Demo partner'), demoCase: field('Demo test case') };
}

async function get(embedded: RunningEmbedded, urlPath: string, key: string) {
  const res = await fetch(`${embedded.url}${urlPath}`, { headers: { XApiKey: key } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The README's walk-through block, as written. */
function walkthrough(): string {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no walk-through block');
  return block;
}

describe('npm start on an empty DATA_DIR without ADMIN_API_KEY', () => {
  it('prints an operator key and a ready demo partner; the README walk-through runs with them; a restart prints the same and makes nothing twice', async () => {
    const first = await start();
    const keys = keysIn(first.printed);
    expect(keys.operator).toMatch(/^ak_[\w-]{43}$/);
    expect(keys.demo).toMatch(/^pk_[\w-]{43}$/);
    expect(first.printed).toContain(`${first.embedded.url.replace('127.0.0.1', 'localhost')}/docs`);
    expect(first.printed).toContain('/portal');
    // the key is kept under DATA_DIR, readable by its owner only
    expect(fs.statSync(path.join(dataDir, 'first-run.json')).mode & 0o777).toBe(0o600);

    // the demo partner is ready, with its test case
    expect((await get(first.embedded, '/me', keys.demo!)).body.companyName).toBe('Demo Collections');
    const demoCase = await get(first.embedded, `/cases/${keys.demoCase}`, keys.demo!);
    expect(demoCase.status).toBe(200);
    expect(demoCase.body.isTestCase).toBe(true);
    expect((await get(first.embedded, '/admin/partners', keys.demo!)).status).toBe(403);

    // the README's walk-through, with the printed operator key
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      env: { ...process.env, API: first.embedded.url, ADMIN: keys.operator },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/idempotency-replayed: true/i);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('800');

    const partners = await get(first.embedded, '/admin/partners?PageSize=100', keys.operator!);
    expect((partners.body.partners as { companyName: string }[]).map((p) => p.companyName).sort()).toEqual(['Acme Collections', 'Demo Collections']);
    const demoCases = await get(first.embedded, '/cases?includeTestCases=true', keys.demo!);
    expect((demoCases.body.page as { totalResults: number }).totalResults).toBe(1);
    await first.embedded.stop();

    const again = await start();
    expect(keysIn(again.printed)).toEqual(keys);
    expect((await get(again.embedded, '/admin/partners', keys.operator!)).body.page).toMatchObject({ totalResults: 2 });
    expect((await get(again.embedded, '/cases?includeTestCases=true', keys.demo!)).body.page).toMatchObject({ totalResults: 1 });
    const audit = await get(again.embedded, '/admin/audit?PageSize=100', keys.operator!);
    expect((audit.body.entries as { operation: string }[]).filter((e) => e.operation === 'createPartner')).toHaveLength(2);
  });
});
