// Issue 15: in a cluster the gateway's /metrics moves off the public API port. With METRICS_PORT set the
// distributed gateway serves Prometheus text on a listener of its own; METRICS_ON_API_PORT=false makes
// GET /metrics on the API port a 404 with the SPEC error body, as any path no route matches. The default
// (SPEC §9's environment only) keeps /metrics on PORT: observability.int.spec.ts scrapes it there.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, pollUntil } from '@pp/testing';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function startGateway(env: Record<string, string>): Promise<{ ready: Record<string, unknown>; stderr: () => string }> {
  const adminUrl = new URL(inject('databaseUrl'));
  adminUrl.pathname = '/postgres';
  const dbName = `pp_gw_metrics_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await createDatabase(adminUrl.toString(), dbName);
  cleanups.push(() => dropDatabase(adminUrl.toString(), dbName));
  const nowhere = '127.0.0.1:1'; // the gRPC services are not needed to serve /metrics
  const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LEDGER_GRPC_ADDRESS: nowhere,
      CASE_LIFECYCLE_GRPC_ADDRESS: nowhere,
      FOLLOW_UP_GRPC_ADDRESS: nowhere,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const lines: Record<string, unknown>[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const ready = await pollUntil(
    async () => lines.find((l) => l.ready === 'gateway') ?? (alive() ? undefined : Promise.reject(new Error(`gateway exited: ${errors.join('')}`))),
    { timeoutMs: 60_000, what: 'the ready marker' },
  );
  return { ready, stderr: () => errors.join('') };
}

describe('the gateway metrics port', () => {
  it('METRICS_ON_API_PORT=false: /metrics on the API port is a 404 with the error body; the metrics port serves Prometheus text', async () => {
    const { ready } = await startGateway({ METRICS_PORT: '0', METRICS_ON_API_PORT: 'false' });
    expect(typeof ready.metricsPort).toBe('number');
    expect(ready.metricsPort).not.toBe(ready.port);
    const api = `http://127.0.0.1:${String(ready.port)}`;
    const scrapePort = `http://127.0.0.1:${String(ready.metricsPort)}`;
    expect((await fetch(`${api}/healthz`)).status).toBe(200); // counted, so the scrape below has a request series

    const hidden = await fetch(`${api}/metrics`);
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toEqual({
      error: 'NotFound',
      message: 'No route GET /metrics',
      businessErrors: [{ type: 'NotFound', message: 'No route GET /metrics', field: null }],
    });

    const scraped = await fetch(`${scrapePort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/healthz"[^}]*status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/metrics"[^}]*status="404"/);
    // the metrics listener serves /metrics only, never the API
    expect((await fetch(`${scrapePort}/healthz`)).status).toBe(404);
  });

  it('METRICS_PORT alone: /metrics on both ports', async () => {
    const { ready } = await startGateway({ METRICS_PORT: '0' });
    for (const port of [ready.port, ready.metricsPort]) {
      const res = await fetch(`http://127.0.0.1:${String(port)}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^# HELP /m);
    }
  });
});
