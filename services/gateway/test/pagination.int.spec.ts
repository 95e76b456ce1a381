// Issue 16, "what an integrating partner expects", on the distributed stack (four processes, the real
// PostgreSQL server and a real Kafka broker): the optional pagination of GET /cases/{id}/payments,
// /cases/{id}/audit, /tasks and /webhooks/events (the SPEC §1 page object with Page or PageSize, the
// array of before without them), the delivery log's bound that no longer cuts silently, and the
// Request-Id header on every answer, equal to the request's id in the gateway's log lines.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, pay, startExtraGateway, type Json, type Partner, type Reply } from './rest-harness';

const PAYMENTS = 23;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let stack: RunningStack;
let db: Db;
let receiver: http.Server;
let hookUrl = '';
const logLines: Record<string, unknown>[] = [];
const call = client(() => stack.gatewayUrl);

let partner: Partner;
let caseId = '';

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  let rest = '';
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'info', WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '100000' },
    output: new Writable({
      write(chunk: Buffer, _encoding, done) {
        const parts = (rest + chunk.toString()).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) {
          try {
            logLines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not a log line
          }
        }
        done();
      },
    }),
  });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });

  // One case with PAYMENTS payments (several on one date, so the tie-breakers matter), each with an
  // unpaid commission: PAYMENTS audit entries, PAYMENTS follow-up tasks and PAYMENTS deliveries.
  partner = await newPartner(call, 'Paging');
  const hook = await call('POST', '/webhooks', { key: partner.apiKey, body: { url: hookUrl, events: ['payment.created'] } });
  expect(hook.status, hook.text).toBe(201);
  caseId = (await newCase(call, partner.id, { grossAmount: 100_000 })).id as string;
  for (let i = 0; i < PAYMENTS; i++) {
    const res = await pay(call, partner.apiKey, caseId, {
      date: `2026-11-${String(1 + (i % 5)).padStart(2, '0')}`,
      paymentAmount: 10 + i,
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Unpaid',
    });
    expect(res.status, res.text).toBe(200);
  }
  await pollUntil(async () => (await get('/tasks')).length === PAYMENTS, { timeoutMs: 30_000, what: 'a follow-up task per payment' });
  await pollUntil(async () => (await get('/webhooks/events')).length === PAYMENTS, { timeoutMs: 30_000, what: 'a delivery per payment' });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

async function get(path: string, key = partner.apiKey): Promise<Json> {
  const res = await call('GET', path, { key });
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body;
}

/** Every page of a list at `pageSize`, checked page by page against SPEC §1, concatenated. */
async function allPages(path: string, items: string, pageSize: number): Promise<Json[]> {
  const sep = path.includes('?') ? '&' : '?';
  const first = await get(`${path}${sep}Page=1&PageSize=${pageSize}`);
  const total = first.page.totalResults as number;
  const out: Json[] = [];
  for (let page = 1; page <= Math.max(1, Math.ceil(total / pageSize)) + 1; page++) {
    const body = page === 1 ? first : await get(`${path}${sep}Page=${page}&PageSize=${pageSize}`);
    expect(Object.keys(body).sort()).toEqual(['page', items].sort());
    const count = Math.max(0, Math.min(pageSize, total - (page - 1) * pageSize));
    expect(body.page).toEqual({ totalResults: total, pageSize, currentPage: page, responseCount: count, totalPages: Math.ceil(total / pageSize) });
    expect(body[items]).toHaveLength(count);
    out.push(...body[items]);
  }
  return out;
}

const ids = (list: Json[]) => list.map((x) => x.id as string);

describe('optional pagination (issue 16)', () => {
  it('GET /cases/{id}/payments: the array without Page and PageSize, the page object with them, in the same order', async () => {
    const all = await get(`/cases/${caseId}/payments`);
    expect(Array.isArray(all)).toBe(true);
    expect(all).toHaveLength(PAYMENTS);
    expect(await allPages(`/cases/${caseId}/payments`, 'payments', 10)).toEqual(all);
    expect(await allPages(`/cases/${caseId}/payments`, 'payments', 7)).toEqual(all);

    // either parameter alone paginates (the other takes its default); the lower-case spellings are accepted
    const sizeOnly = await get(`/cases/${caseId}/payments?PageSize=5`);
    expect(sizeOnly.page).toEqual({ totalResults: PAYMENTS, pageSize: 5, currentPage: 1, responseCount: 5, totalPages: 5 });
    expect(ids(sizeOnly.payments)).toEqual(ids(all.slice(0, 5)));
    const pageOnly = await get(`/cases/${caseId}/payments?page=3`);
    expect(pageOnly.page).toEqual({ totalResults: PAYMENTS, pageSize: 10, currentPage: 3, responseCount: 3, totalPages: 3 });
    expect(ids(pageOnly.payments)).toEqual(ids(all.slice(20)));

    // the filters count too: totalResults is of the matching payments
    const filtered = all.filter((p: Json) => p.paymentAmount >= 20);
    const page = await get(`/cases/${caseId}/payments?minAmount=20&pageSize=4&page=2`);
    expect(page.page).toMatchObject({ totalResults: filtered.length, responseCount: 4, currentPage: 2 });
    expect(ids(page.payments)).toEqual(ids(filtered.slice(4, 8)));
  });

  it('GET /cases/{id}/audit: oldest first, an entry per payment, paged the same way', async () => {
    const all = await get(`/cases/${caseId}/audit`);
    expect(Array.isArray(all)).toBe(true);
    expect(all).toHaveLength(PAYMENTS);
    expect(all.every((e: Json) => e.type === 'PaymentRecorded')).toBe(true);
    expect(await allPages(`/cases/${caseId}/audit`, 'entries', 10)).toEqual(all);
    const last = await get(`/cases/${caseId}/audit?Page=5&PageSize=5`);
    expect(ids(last.entries)).toEqual(ids(all.slice(20)));
  });

  it('GET /tasks: newest first, paged, with its filters', async () => {
    const all = await get('/tasks');
    expect(all).toHaveLength(PAYMENTS);
    expect(await allPages('/tasks', 'tasks', 10)).toEqual(all);
    expect(await allPages(`/tasks?caseId=${caseId}&status=Open`, 'tasks', 6)).toEqual(all);
    const none = await get('/tasks?status=Completed&Page=1');
    expect(none).toEqual({ page: { totalResults: 0, pageSize: 10, currentPage: 1, responseCount: 0, totalPages: 0 }, tasks: [] });
  });

  it('GET /webhooks/events: paged, and without a page cut at 1000 no longer silently', async () => {
    const small = await call('GET', '/webhooks/events', { key: partner.apiKey });
    expect(small.body).toHaveLength(PAYMENTS);
    expect(small.headers.get('x-total-count')).toBe(String(PAYMENTS));
    expect(small.headers.get('link')).toBeNull();
    expect(await allPages('/webhooks/events', 'events', 10)).toEqual(small.body);

    // More deliveries than the unpaginated bound: seeded straight into case-lifecycle's table (delivered
    // already, so nothing sends them), 50 of them sharing one created_at so the id tie-breaker is tested.
    const [subscription] = await db.withSchema('cases').table('webhook_subscriptions').where('partner_id', partner.id).select<{ id: string }[]>('id');
    await db.raw(
      `INSERT INTO cases.webhook_deliveries (id, subscription_id, partner_id, case_id, case_event_id, event_type, payload, status, attempt_count, next_attempt_at, created_at, delivered_at)
       SELECT gen_random_uuid(), ?, ?, ?, gen_random_uuid(), 'payment.created', '{}', 'Delivered', 1, now(),
              timestamptz '2026-01-01' + (i / 50) * interval '1 second', timestamptz '2026-01-01'
       FROM generate_series(1, 1020) i`,
      [subscription!.id, partner.id, caseId],
    );
    const total = PAYMENTS + 1020;
    const cut = await call('GET', '/webhooks/events', { key: partner.apiKey });
    expect(cut.status).toBe(200);
    expect(cut.body).toHaveLength(1000);
    expect(cut.headers.get('x-total-count')).toBe(String(total));
    const link = cut.headers.get('link');
    expect(link).toBe('</webhooks/events?Page=11&PageSize=100>; rel="next"');

    // the link's page continues exactly where the array stopped, and the pages hold every delivery once
    const next = await get(/^<([^>]+)>/.exec(link!)![1]!);
    expect(next.page).toEqual({ totalResults: total, pageSize: 100, currentPage: 11, responseCount: total - 1000, totalPages: 11 });
    const paged = await allPages('/webhooks/events', 'events', 100);
    expect(paged).toHaveLength(total);
    expect(new Set(ids(paged)).size).toBe(total);
    expect(ids(paged.slice(0, 1000))).toEqual(ids(cut.body));
    expect(ids(paged.slice(1000))).toEqual(ids(next.events));

    // the filters stay in the link
    const since = await call('GET', '/webhooks/events?since=2025-12-31T00:00:00Z', { key: partner.apiKey });
    expect(since.headers.get('link')).toBe('</webhooks/events?since=2025-12-31T00%3A00%3A00Z&Page=11&PageSize=100>; rel="next"');
  });

  it('refuses a bad Page or PageSize with 400 ValidationError naming it, on every paged list', async () => {
    for (const path of [`/cases/${caseId}/payments`, `/cases/${caseId}/audit`, '/tasks', '/webhooks/events']) {
      for (const [query, field] of [
        ['Page=0', 'Page'],
        ['PageSize=101', 'PageSize'],
        ['PageSize=0', 'PageSize'],
        ['Page=abc', 'Page'],
        ['Page=-1', 'Page'],
      ] as const) {
        const res = await call('GET', `${path}?${query}`, { key: partner.apiKey });
        expect(res.status, `${path}?${query}: ${res.text}`).toBe(400);
        expect(res.body.error).toBe('ValidationError');
        expect(res.body.businessErrors.map((e: Json) => e.field)).toContain(field);
      }
    }
    // another partner's case is still 404, not 400
    const other = await newPartner(call, 'Paging Other');
    const res = await call('GET', `/cases/${caseId}/audit?Page=0`, { key: other.apiKey });
    expect(res.status).toBe(404);
  });
});

describe('Request-Id on every answer (issue 16)', () => {
  /** The gateway's `request` log line of the answer, found by the Request-Id the answer carries. */
  async function requestLine(res: Reply): Promise<Record<string, unknown>> {
    const id = res.headers.get('request-id');
    expect(id).toBeTruthy();
    return pollUntil(async () => logLines.find((l) => l.service === 'gateway' && l.msg === 'request' && l.requestId === id), {
      timeoutMs: 10_000,
      what: `the gateway's request line of ${id}`,
    });
  }

  it("echoes a safe x-request-id, makes a UUID otherwise, and names the request's log line, whatever the status", async () => {
    const mine = `partner-trace-${randomUUID()}`;
    const ok = await call('GET', '/tasks', { key: partner.apiKey, headers: { 'x-request-id': mine } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('request-id')).toBe(mine);
    expect(await requestLine(ok)).toMatchObject({ requestId: mine, status: 200, url: '/tasks' });

    const unsafe = await call('GET', '/tasks', { key: partner.apiKey, headers: { 'x-request-id': 'a b' } });
    expect(unsafe.headers.get('request-id')).toMatch(UUID);

    const answers: [number, Reply][] = [
      [200, await call('GET', `/cases/${caseId}/payments?Page=1`, { key: partner.apiKey })],
      [400, await call('GET', '/tasks?Page=0', { key: partner.apiKey })],
      [401, await call('GET', '/tasks')],
      [401, await call('GET', '/tasks', { key: 'not-a-key' })],
      [403, await call('GET', '/admin/partners', { key: partner.apiKey })],
      [404, await call('GET', `/cases/${randomUUID()}`, { key: partner.apiKey })],
      [404, await call('GET', '/no-such-route', { key: partner.apiKey })],
      [200, await call('GET', '/openapi.json')],
      [200, await call('GET', '/portal')],
      [200, await call('GET', '/portal/portal.js')],
      [200, await call('GET', '/healthz')],
      [400, await call('POST', '/webhooks', { key: partner.apiKey, raw: '{"url": ' })],
    ];
    const seen = new Set<string>();
    for (const [status, res] of answers) {
      expect(res.status, res.text.slice(0, 200)).toBe(status);
      const id = res.headers.get('request-id')!;
      expect(id, `${status} ${res.text.slice(0, 100)}`).toMatch(UUID);
      seen.add(id);
      expect(await requestLine(res)).toMatchObject({ requestId: id, status });
    }
    expect(seen.size).toBe(answers.length);
  });

  it('is on a 429 too', async () => {
    const limited = await startExtraGateway(stack, inject('databaseUrl'), { RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const url = (path: string) => `${limited.url}${path}`;
      let last: Response | undefined;
      for (let i = 0; i < 10 && last?.status !== 429; i++)
        last = await fetch(url('/tasks'), { headers: { XApiKey: 'unknown-key', 'x-request-id': `limited-${i}` } });
      expect(last?.status).toBe(429);
      expect(last?.headers.get('request-id')).toMatch(/^limited-\d$/);
    } finally {
      await limited.stop();
    }
  });

  it("carries the 5xx's errorId in the gateway's log lines of the same Request-Id", async () => {
    await stack.kill('follow-up');
    try {
      const res = await call('GET', '/tasks', { key: partner.apiKey, headers: { 'x-request-id': `down-${randomUUID()}` } });
      expect(res.status, res.text).toBeGreaterThanOrEqual(500);
      expect(res.body.errorId).toMatch(UUID);
      const id = res.headers.get('request-id');
      expect(id).toMatch(/^down-/);
      expect(await requestLine(res)).toMatchObject({ requestId: id, errorId: res.body.errorId, status: res.status });
      const failed = logLines.find((l) => l.service === 'gateway' && l.requestId === id && l.msg !== 'request');
      expect(failed).toMatchObject({ errorId: res.body.errorId });
    } finally {
      await stack.restart('follow-up');
    }
  });
});
