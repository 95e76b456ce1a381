// The rate limit of SPEC §1 across gateway replicas: two gateway processes on one database share each
// key's budget (the sum they allow in a minute is exactly RATE_LIMIT_PER_MINUTE), every answer to a
// known key carries the RateLimit-* headers, and a flood of unknown keys from one address is cut off
// before the database while a key that gateway knows still goes through.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, migrate, type Db } from '@pp/platform';
import { startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newPartner, startExtraGateway, type Reply } from './rest-harness';
import { KeyRateLimiter, WINDOW_MS, windowStart, type TokenStore } from '../src/app/rate-limit';
import { deleteRateLimitWindowsBefore, leaseRateLimitTokens } from '../src/infra/gateway.queries';
import { migrations, SCHEMA } from '../src/migrations';

let stack: RunningStack;
let db: Db;
const call = client(() => stack.gatewayUrl);
const extras: { stop(): Promise<void> }[] = [];

const LIMIT = 40; // blocks of 2 tokens (a twentieth), so the replicas really lease and spend locally

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });
});

afterAll(async () => {
  await Promise.all(extras.map((g) => g.stop()));
  await stack?.stop();
  await db?.destroy();
});

async function extraGateway(env: Record<string, string>) {
  const gateway = await startExtraGateway(stack, inject('databaseUrl'), env);
  extras.push(gateway);
  return { ...gateway, call: client(() => gateway.url) };
}

const header = (r: Reply, name: string) => r.headers.get(name);
const int = (r: Reply, name: string) => Number(header(r, name));

/**
 * Runs `attempt` once, and once more if a one-minute window ended while it ran (seen on the wall clock,
 * or as a RateLimit-Reset that went up): what a window allows is only checkable inside one window.
 */
async function withinOneWindow<T>(attempt: () => Promise<{ result: T; resets: number[] }>): Promise<T> {
  for (let tries = 1; ; tries++) {
    const before = windowStart(Date.now());
    const { result, resets } = await attempt();
    const rolledOver = windowStart(Date.now()) !== before || resets.some((r, i) => i > 0 && r > resets[i - 1]!);
    if (!rolledOver || tries === 2) return result;
  }
}

describe('per-key limit shared by two gateway replicas', () => {
  it('allows exactly RATE_LIMIT_PER_MINUTE in a window across both, with RateLimit-* headers counting down, then 429', async () => {
    const a = await extraGateway({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    const b = await extraGateway({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });

    const { partner, replies } = await withinOneWindow(async () => {
      const partner = await newPartner(call, 'Replicated');
      const replies: { gateway: 'a' | 'b'; reply: Reply }[] = [];
      // alternate between the replicas, well past the limit, so both end the window with nothing left
      for (let i = 0; i < LIMIT + 20; i++) {
        const gateway = i % 2 === 0 ? 'a' : 'b';
        replies.push({ gateway, reply: await (gateway === 'a' ? a : b).call('GET', '/me', { key: partner.apiKey }) });
      }
      return { result: { partner, replies }, resets: replies.map((r) => int(r.reply, 'RateLimit-Reset')) };
    });

    const allowed = replies.filter((r) => r.reply.status === 200);
    const refused = replies.filter((r) => r.reply.status === 429);
    expect(allowed.length + refused.length, replies.map((r) => `${r.reply.status} ${r.reply.text}`).join('\n')).toBe(replies.length);
    // one budget for the key, not one per replica, and every token handed out was spent
    expect(allowed).toHaveLength(LIMIT);
    expect(new Set(allowed.map((r) => r.gateway))).toEqual(new Set(['a', 'b']));

    for (const { reply } of replies) {
      expect(int(reply, 'RateLimit-Limit')).toBe(LIMIT);
      expect(header(reply, 'RateLimit-Policy')).toBe(`${LIMIT};w=60`);
      expect(int(reply, 'RateLimit-Reset')).toBeGreaterThanOrEqual(1);
      expect(int(reply, 'RateLimit-Reset')).toBeLessThanOrEqual(60);
      expect(int(reply, 'RateLimit-Remaining')).toBeGreaterThanOrEqual(0);
    }
    // each replica counts down (it knows its own spending and what the database said at its last lease)
    for (const g of ['a', 'b'] as const) {
      const remaining = allowed.filter((r) => r.gateway === g).map((r) => int(r.reply, 'RateLimit-Remaining'));
      for (let i = 1; i < remaining.length; i++) expect(remaining[i]!, remaining.join(',')).toBeLessThan(remaining[i - 1]!);
    }
    expect(Math.max(...allowed.map((r) => int(r.reply, 'RateLimit-Remaining')))).toBeLessThan(LIMIT);
    expect(Math.min(...allowed.map((r) => int(r.reply, 'RateLimit-Remaining')))).toBe(0);

    // the 429s: SPEC §1 body, Retry-After = seconds until the window resets
    for (const { reply } of refused) {
      expect(reply.body).toEqual({ error: 'rate_limit_exceeded', message: expect.any(String), retryAfter: expect.any(Number) });
      expect(reply.body.retryAfter).toBeGreaterThanOrEqual(1);
      expect(reply.body.retryAfter).toBeLessThanOrEqual(60);
      expect(header(reply, 'Retry-After')).toBe(String(reply.body.retryAfter));
      expect(int(reply, 'RateLimit-Reset')).toBe(reply.body.retryAfter);
      expect(int(reply, 'RateLimit-Remaining')).toBe(0);
    }
    // a replica that found the window used up says so until it ends
    for (const g of ['a', 'b'] as const) {
      const statuses = replies.filter((r) => r.gateway === g).map((r) => r.reply.status);
      expect(
        statuses.slice(statuses.indexOf(429)).every((s) => s === 429),
        statuses.join(','),
      ).toBe(true);
    }

    // the shared count: the key's hash and window, never the key; the row's total is the limit
    const keyHash = createHash('sha256').update(partner.apiKey).digest('hex');
    const rows = await db
      .withSchema('gateway')
      .table('rate_limit_windows')
      .where({ key_hash: keyHash })
      .select<{ key_hash: string; window_start: Date; granted: number }[]>();
    expect(rows.map((r) => r.granted)).toContain(LIMIT);
    expect(JSON.stringify(await db.withSchema('gateway').table('rate_limit_windows').select())).not.toContain(partner.apiKey);
  });

  it('puts the RateLimit-* headers on errors of a known key and on the operator key, not on public routes or 401s', async () => {
    const partner = await newPartner(call, 'Headers');
    const missing = await call('GET', `/cases/${randomUUID()}`, { key: partner.apiKey });
    expect(missing.status).toBe(404);
    const forbidden = await call('POST', '/admin/partners', { key: partner.apiKey, body: { companyName: 'x', officeEmail: 'x@example.test' } });
    expect(forbidden.status).toBe(403);
    const invalid = await call('POST', '/webhooks', { key: partner.apiKey, raw: '{"url":' });
    expect(invalid.status).toBe(400);
    const operator = await call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Headers Op', officeEmail: 'op@example.test' } });
    expect(operator.status).toBe(201);
    for (const r of [missing, forbidden, invalid, operator]) {
      expect(int(r, 'RateLimit-Limit'), r.text).toBe(2000);
      expect(int(r, 'RateLimit-Remaining')).toBeLessThan(2000);
      expect(int(r, 'RateLimit-Reset')).toBeGreaterThanOrEqual(1);
    }
    const remaining = [missing, forbidden, invalid].map((r) => int(r, 'RateLimit-Remaining'));
    expect(remaining[1]).toBeLessThan(remaining[0]!);
    expect(remaining[2]).toBeLessThan(remaining[1]!);
    for (const r of [
      await call('GET', '/healthz'),
      await call('GET', '/me', { key: `pk_${randomBytes(32).toString('base64url')}` }),
      await call('GET', '/me'),
    ]) {
      expect(header(r, 'RateLimit-Limit')).toBeNull();
    }
  });
});

describe('missing and unknown keys, per client address', () => {
  it('answers 429 after the limit to a flood of unknown keys from one address, before any lookup; a key that gateway knows still works', async () => {
    const FLOOD_LIMIT = 5;
    const c = await extraGateway({ RATE_LIMIT_PER_MINUTE: String(FLOOD_LIMIT) });
    const stranger = () => `pk_${randomBytes(32).toString('base64url')}`;

    const { known, fresh, answers } = await withinOneWindow(async () => {
      const known = await newPartner(call, 'Known');
      const fresh = await newPartner(call, 'Fresh');
      const answers: Record<string, Reply> = {};
      // the partner works on this gateway first (this gateway now knows its key)
      answers.knownBefore = await c.call('GET', '/me', { key: known.apiKey });
      // FLOOD_LIMIT failed attempts (unknown keys, a missing one) are 401s …
      for (let i = 0; i < FLOOD_LIMIT - 1; i++) answers[`unknown${i}`] = await c.call('GET', '/me', { key: stranger() });
      answers.missing = await c.call('GET', '/cases');
      // … then the address is over its budget: 429, whatever the unknown key
      answers.floodUnknown = await c.call('GET', '/me', { key: stranger() });
      answers.floodMissing = await c.call('GET', '/me');
      answers.floodAdmin = await c.call('POST', '/admin/partners', { key: stranger(), body: {} });
      // a key this gateway authenticated still goes through (its own budget: 2 of 5 used)
      answers.knownAfter = await c.call('GET', '/me', { key: known.apiKey });
      // a valid key this gateway has never seen waits for the window like the flood (it cannot be told
      // from a guess without the database lookup the limit is there to spare)
      answers.freshHere = await c.call('GET', '/me', { key: fresh.apiKey });
      // another gateway process counts its own addresses: the fresh key works there
      answers.freshElsewhere = await call('GET', '/me', { key: fresh.apiKey });
      return { result: { known, fresh, answers }, resets: [] };
    });

    expect(answers.knownBefore!.status).toBe(200);
    for (let i = 0; i < FLOOD_LIMIT - 1; i++) expect(answers[`unknown${i}`]!.status).toBe(401);
    expect(answers.missing!.status).toBe(401);
    for (const name of ['floodUnknown', 'floodMissing', 'floodAdmin', 'freshHere']) {
      const r = answers[name]!;
      expect(r.status, `${name}: ${r.text}`).toBe(429);
      expect(r.body).toEqual({ error: 'rate_limit_exceeded', message: expect.any(String), retryAfter: expect.any(Number) });
      expect(r.body.retryAfter).toBeGreaterThanOrEqual(1);
      expect(r.body.retryAfter).toBeLessThanOrEqual(60);
      expect(header(r, 'Retry-After')).toBe(String(r.body.retryAfter));
    }
    expect(answers.knownAfter!.status, answers.knownAfter!.text).toBe(200);
    expect(answers.knownAfter!.body.id).toBe(known.id);
    expect(int(answers.knownAfter!, 'RateLimit-Limit')).toBe(FLOOD_LIMIT);
    expect(answers.freshElsewhere!.status).toBe(200);
    expect(answers.freshElsewhere!.body.id).toBe(fresh.id);
  });
});

describe('the lease statement, on PostgreSQL and on PGlite (the embedded default)', () => {
  const storeOn = (target: Db): TokenStore => ({
    lease: (keyHash, start, ask, limit) => leaseRateLimitTokens(target, { keyHash, windowStart: new Date(start), ask, limit }),
    prune: async (before) => {
      await deleteRateLimitWindowsBefore(target, new Date(before));
    },
  });

  /** Four "replicas" on one database, 300 concurrent requests for one key: exactly the limit passes. */
  async function exactUnderConcurrency(target: Db) {
    const now = windowStart(Date.now()) + 1000; // a fixed instant: no window ends during the check
    const store = storeOn(target);
    const replicas = Array.from({ length: 4 }, () => new KeyRateLimiter(100, store, { now: () => now }));
    const keyHash = createHash('sha256').update(randomUUID()).digest('hex');
    const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => replicas[i % 4]!.take(keyHash)));
    let allowed = decisions.filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(100);
    for (const r of replicas) while ((await r.take(keyHash)).allowed) allowed += 1;
    expect(allowed).toBe(100);
    const row = await target
      .withSchema(SCHEMA)
      .table('rate_limit_windows')
      .where({ key_hash: keyHash })
      .first<{ granted: number; window_start: Date; window_limit: number }>();
    expect(row).toMatchObject({ granted: 100, window_limit: 100 });
    expect(new Date(row!.window_start).getTime()).toBe(windowStart(now));
    // an exhausted window grants 0; a process with another limit has its own count
    const lease = (ask: number, limit: number) => leaseRateLimitTokens(target, { keyHash, windowStart: new Date(windowStart(now)), ask, limit });
    expect(await lease(5, 100)).toEqual({ granted: 0, total: 100 });
    expect(await lease(5, 7)).toEqual({ granted: 5, total: 5 });
    expect(await lease(5, 7)).toEqual({ granted: 2, total: 7 });
    expect(await lease(5, 7)).toEqual({ granted: 0, total: 7 });
    // pruning drops the windows before the given one only
    const old = new Date(windowStart(now) - 2 * WINDOW_MS);
    await leaseRateLimitTokens(target, { keyHash, windowStart: old, ask: 1, limit: 100 });
    await deleteRateLimitWindowsBefore(target, new Date(windowStart(now) - WINDOW_MS));
    const left = await target.withSchema(SCHEMA).table('rate_limit_windows').where({ key_hash: keyHash }).select<{ window_start: Date }[]>();
    expect(left.map((r) => new Date(r.window_start).getTime())).toEqual([windowStart(now), windowStart(now)]); // limits 100 and 7
  }

  it('PostgreSQL: exact under concurrent leases of several replicas', async () => {
    const pool = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 8 }); // leases really run side by side
    try {
      await exactUnderConcurrency(pool);
    } finally {
      await pool.destroy();
    }
  });

  it('PGlite: the same statement works on the one embedded connection', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-ratelimit-'));
    const lite = createDb({ kind: 'pglite', dataDir: dir });
    try {
      await migrate(lite, SCHEMA, migrations);
      await exactUnderConcurrency(lite);
    } finally {
      await lite.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
