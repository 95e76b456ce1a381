// Issue 11, item 7, the gateway's side: started against a database that does not exist yet, the gateway
// does not exit. It listens at once (`{"listening"}`): /healthz 200, /readyz 503, every other route 503
// ServiceUnavailable (before authentication, which needs the database), while it retries the database
// with backoff; once the database exists it migrates, announces `{"ready"}` and serves.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, pollUntil } from '@pp/testing';

const ADMIN = 'startup-admin-key';
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('a gateway whose database is late', () => {
  it('listens, answers not ready and 503 while it waits, then migrates and serves', async () => {
    const adminUrl = new URL(inject('databaseUrl'));
    adminUrl.pathname = '/postgres';
    const dbName = `pp_gw_startup_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const databaseUrl = new URL(adminUrl);
    databaseUrl.pathname = `/${dbName}`;
    const nowhere = '127.0.0.1:1'; // no service runs there: readiness stays 503, the database is what is checked
    const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl.toString(),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ADMIN_API_KEY: ADMIN,
        LEDGER_GRPC_ADDRESS: nowhere,
        CASE_LIFECYCLE_GRPC_ADDRESS: nowhere,
        FOLLOW_UP_GRPC_ADDRESS: nowhere,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    const lines: Record<string, unknown>[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    });
    const alive = () => child.exitCode === null && child.signalCode === null;
    const listening = await pollUntil(async () => lines.find((l) => l.listening === 'gateway'), { timeoutMs: 30_000, what: 'the listening marker' });
    const base = `http://127.0.0.1:${String(listening.port)}`;
    const get = async (p: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${p}`, init);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
    };

    // Waiting: alive, not ready, the API answers 503 with the contract's error body.
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ status: 'not-ready', checks: { database: false } });
    const starting = await get('/admin/partners', {
      method: 'POST',
      headers: { XApiKey: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ companyName: 'Early', officeEmail: 'early@example.test' }),
    });
    expect(starting.status).toBe(503);
    expect(starting.retryAfter).toBe('5');
    expect(starting.body).toMatchObject({ error: 'ServiceUnavailable', businessErrors: [{ type: 'ServiceUnavailable' }] });
    expect((await get('/me', { headers: { XApiKey: 'any-key' } })).status).toBe(503);
    await pollUntil(
      async () => lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('waiting for PostgreSQL (gateway migrations): attempt 2 failed')),
      { timeoutMs: 30_000, what: 'logged database retries' },
    );
    expect(alive()).toBe(true);

    // The database comes: migrated, ready, serving.
    await createDatabase(adminUrl.toString(), dbName);
    cleanups.push(() => dropDatabase(adminUrl.toString(), dbName));
    const ready = await pollUntil(async () => lines.find((l) => l.ready === 'gateway') ?? (alive() ? undefined : Promise.reject(new Error('gateway exited'))), {
      timeoutMs: 60_000,
      what: 'the ready marker',
    });
    expect(ready.port).toBe(listening.port);
    const readiness = await get('/readyz');
    expect(readiness.body).toMatchObject({ checks: { database: true, ledger: false } });
    const created = await get('/admin/partners', {
      method: 'POST',
      headers: { XApiKey: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ companyName: 'Late', officeEmail: 'late@example.test' }),
    });
    expect(created.status).toBe(201);
  });
});
