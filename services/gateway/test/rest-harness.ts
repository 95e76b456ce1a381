// Helpers shared by the REST integration tests of the payment rules, concurrency and crash recovery:
// a small JSON client for the gateway, partner/case factories, and a lone extra gateway process.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { RunningStack } from '@pp/testing';

export const ADMIN = 'test-admin-key';

// Response bodies are checked field by field against the contract; a loose type keeps that readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Json;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export function client(baseUrl: () => string) {
  return async function call(method: string, urlPath: string, opts: CallOptions = {}): Promise<Reply> {
    const res = await fetch(`${baseUrl()}${urlPath}`, {
      method,
      headers: {
        ...(opts.key ? { XApiKey: opts.key } : {}),
        ...(opts.body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}),
        ...(opts.headers ?? {}),
      },
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await res.text();
    let body: Json;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, headers: res.headers, text, body };
  };
}

export type Call = ReturnType<typeof client>;

export interface Partner {
  id: string;
  apiKey: string;
  companyName: string;
  officeEmail: string;
  preLegalRevenueShare: number;
  legalRevenueShare: number;
}

let counter = 0;
/** A unique company name per call, so tests sharing one database never collide. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function newPartner(call: Call, prefix: string, shares: { preLegalRevenueShare?: number; legalRevenueShare?: number } = {}): Promise<Partner> {
  const companyName = uniqueName(prefix);
  const res = await call('POST', '/admin/partners', { key: ADMIN, body: { companyName, officeEmail: `p${counter}@example.test`, ...shares } });
  if (res.status !== 201) throw new Error(`partner creation failed: ${res.status} ${res.text}`);
  return res.body as Partner;
}

export async function newCase(call: Call, partnerId: string, over: Record<string, unknown> = {}): Promise<Json> {
  const res = await call('POST', '/admin/cases', { key: ADMIN, body: { partnerId, currency: 'EUR', grossAmount: 1000, successFee: 20, ...over } });
  if (res.status !== 201) throw new Error(`case creation failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Records a payment; `body` is merged over a plain CollectionPartner payment of 100. */
export function pay(call: Call, key: string, caseId: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Reply> {
  return call('POST', `/cases/${caseId}/payments`, {
    key,
    body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'CollectionPartner', ...body },
    headers,
  });
}

/**
 * Starts one more gateway process against a running stack's services and database, with its own
 * environment (e.g. a small RATE_LIMIT_PER_MINUTE). The stack's own gateway is untouched.
 */
export async function startExtraGateway(
  stack: RunningStack,
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const main = path.resolve(__dirname, '../dist/main.js');
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ADMIN_API_KEY: ADMIN,
      LEDGER_GRPC_ADDRESS: `127.0.0.1:${stack.ports.ledger}`,
      CASE_LIFECYCLE_GRPC_ADDRESS: `127.0.0.1:${stack.ports['case-lifecycle']}`,
      FOLLOW_UP_GRPC_ADDRESS: `127.0.0.1:${stack.ports['follow-up']}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"ready"')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`extra gateway exited with ${code}: ${stderr.join('').slice(-2000)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
