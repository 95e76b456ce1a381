// Attacks from outside, the way a hostile partner or a broken client would try them (issue 11):
// the operator API through other spellings of its path, hostile request ids, deeply nested JSON,
// probing for other partners' cases, oversize requests, idempotency keys of a dead request, and
// webhook destinations that cannot be checked. Raw HTTP where fetch would normalise the request.
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { requestHash } from '../src/app/idempotency';
import { ADMIN, client, newCase, newPartner, pay, type Json, type Partner } from './rest-harness';

let stack: RunningStack;
let db: Db;
const call = client(() => stack.gatewayUrl);
let owner: Partner;
let intruder: Partner;
let foreignCase: Json;

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json;
  text: string;
}

/** One request exactly as written: no URL normalisation, any header bytes Node lets through (latin1). */
function raw(method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  const url = new URL(stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: Json;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.end(opts.body);
  });
}

const count = async (schema: string, table: string) => Number((await db.withSchema(schema).table(table).count<{ n: string }[]>({ n: '*' }))[0]!.n);

/** The §1 error body. */
const errorShaped = (body: Json, type: string) =>
  expect(body).toMatchObject({ error: type, message: expect.any(String), businessErrors: [expect.objectContaining({ type })] });

beforeAll(async () => {
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });
  owner = await newPartner(call, 'Owner');
  intruder = await newPartner(call, 'Intruder');
  foreignCase = await newCase(call, owner.id, { currency: 'JPY', grossAmount: 1000 });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
});

describe('the operator API answers only the operator key, however its path is spelled', () => {
  /** Spellings of one /admin path that a router or proxy might take for it. */
  const spellings = (path: string) => {
    const rest = path.slice('/admin'.length);
    return [
      `/%61dmin${rest}`,
      `/%61%64%6d%69%6e${rest}`,
      `/%41dmin${rest}`,
      `/admin${rest.replace('/', '/%2F')}`,
      `/admin${rest.replace(/\/(\w)/, (_m, c: string) => `/%${c.charCodeAt(0).toString(16)}`)}`,
      `//admin${rest}`,
      `/admin/${rest}`,
      `/x/..${path}`,
      `/admin/.${rest}`,
      `/ADMIN${rest}`,
      `/Admin${rest}`,
      `${path}/`,
      `${path}?x=1`,
      `${path}#frag`,
      `${path};x`,
    ];
  };
  const operations = [
    { path: '/admin/partners', body: () => ({ companyName: 'Mallory', officeEmail: 'm@example.test' }), rows: () => count('gateway', 'partners') },
    { path: '/admin/cases', body: () => ({ partnerId: owner.id, currency: 'EUR', grossAmount: 10, successFee: 10 }), rows: () => count('cases', 'cases') },
    { path: '/admin/invoicing-runs', body: () => ({ partnerId: intruder.id }), rows: () => count('ledger', 'invoices') },
  ];

  it.each(operations)('POST $path with a partner key: 403 or 404 in every spelling, nothing created', async ({ path, body, rows }) => {
    // a payout waits to be invoiced, so an invoicing run that got through would create an invoice
    const c = await newCase(call, intruder.id);
    expect((await pay(call, intruder.apiKey, c.id)).status).toBe(200);
    const before = await rows();
    for (const spelled of spellings(path)) {
      const res = await raw('POST', spelled, { headers: { XApiKey: intruder.apiKey }, body: JSON.stringify(body()) });
      expect([403, 404], `${spelled} → ${res.status} ${res.text}`).toContain(res.status);
    }
    expect(await rows()).toBe(before);
    // the plain path with the partner key is a 403 with the RFC 9457 body; with the operator key it works
    const plain = await raw('POST', path, { headers: { XApiKey: intruder.apiKey }, body: JSON.stringify(body()) });
    expect(plain.status).toBe(403);
    expect(plain.body).toMatchObject({ type: 'Forbidden', title: 'Forbidden', status: 403, detail: expect.any(String) });
    const encodedAsOperator = await raw('POST', `/%61dmin${path.slice('/admin'.length)}`, { headers: { XApiKey: ADMIN }, body: JSON.stringify(body()) });
    expect(encodedAsOperator.status, encodedAsOperator.text).toBeLessThan(300);
  });

  it('the dead-letter operations too: GET /admin/dead-letters and POST /admin/dead-letters/{id}/retry in every spelling', async () => {
    const id = '00000000-0000-4000-8000-00000000dead';
    for (const [method, path] of [
      ['GET', '/admin/dead-letters'],
      ['POST', `/admin/dead-letters/${id}/retry`],
    ] as const) {
      for (const spelled of spellings(path)) {
        const res = await raw(method, spelled, { headers: { XApiKey: intruder.apiKey } });
        expect([403, 404], `${method} ${spelled} → ${res.status} ${res.text}`).toContain(res.status);
      }
    }
    expect((await raw('GET', '/%61dmin/dead-letters', { headers: { XApiKey: ADMIN } })).status).toBe(200);
  });

  it('the invoice reads too (issue 15): a partner reads no invoice, not even its own, in any spelling', async () => {
    const c = await newCase(call, intruder.id);
    expect((await pay(call, intruder.apiKey, c.id)).status).toBe(200);
    const run = await call('POST', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: intruder.id } });
    const id = (run.body as Json).invoices[0].id as string;
    for (const path of ['/admin/invoices', `/admin/invoices/${id}`, `/admin/invoices/${id}/csv`]) {
      for (const spelled of [path, ...spellings(path)]) {
        const res = await raw('GET', spelled, { headers: { XApiKey: intruder.apiKey } });
        expect([403, 404], `GET ${spelled} → ${res.status} ${res.text}`).toContain(res.status);
        expect(res.text, spelled).not.toMatch(/totalPlatformFee|platformFee|invoiceCreatedAt/); // no invoice, as JSON or CSV
      }
      expect((await raw('GET', `/%61dmin${path.slice('/admin'.length)}`, { headers: { XApiKey: ADMIN } })).status, path).toBe(200);
    }
  });

  it('a partner key on any spelling of a partner route still works, and a 404 route still needs a key', async () => {
    expect((await raw('GET', '/%6De', { headers: { XApiKey: intruder.apiKey } })).status).toBe(200);
    expect((await raw('GET', '/no-such-route')).status).toBe(401);
    expect((await raw('GET', '/no-such-route', { headers: { XApiKey: intruder.apiKey } })).status).toBe(404);
  });
});

describe('a hostile x-request-id never breaks a request', () => {
  it.each([
    ['a TAB', 'a\tb'],
    ['a non-ASCII byte', 'caf\u00e9'],
    ['4 KB', 'x'.repeat(4096)],
    ['spaces', 'a b'],
  ])('%s: gRPC-backed routes and /readyz answer normally', async (_label, id) => {
    const cases = await raw('GET', '/cases', { headers: { XApiKey: owner.apiKey, 'x-request-id': id } });
    expect(cases.status, cases.text).toBe(200);
    const one = await raw('GET', `/cases/${foreignCase.id}`, { headers: { XApiKey: owner.apiKey, 'x-request-id': id } });
    expect(one.status, one.text).toBe(200);
    const ready = await raw('GET', '/readyz', { headers: { 'x-request-id': id } });
    expect(ready.status, ready.text).toBe(200);
  });
});

describe('deeply nested JSON', () => {
  const deep = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

  it.each([
    ['/cases/{id}/payments', () => `/cases/${foreignCase.id}/payments`],
    ['/webhooks', () => '/webhooks'],
    ['/managed-cases', () => '/managed-cases'],
  ])('POST %s with an Idempotency-Key: 400 ValidationError, as JSON and as text/plain', async (_label, path) => {
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await raw('POST', path(), {
        headers: { XApiKey: owner.apiKey, 'Idempotency-Key': `deep-${contentType}`, 'content-type': contentType },
        body: deep(10_000),
      });
      expect(res.status, res.text).toBe(400);
      errorShaped(res.body, 'ValidationError');
    }
    // nothing was stored for the key: the same key works for a valid request afterwards
    expect(
      await db.withSchema('gateway').table('idempotency_keys').where({ partner_id: owner.id }).whereIn('key', ['deep-application/json', 'deep-text/plain']),
    ).toEqual([]);
  });
});

describe("another partner's case answers exactly like an unknown one", () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  const probes: [string, string, (id: string) => string, string | undefined, string][] = [
    ['record with {}', 'POST', (id) => `/cases/${id}/payments`, '{}', 'CaseNotFound'],
    [
      'record with too many decimals',
      'POST',
      (id) => `/cases/${id}/payments`,
      JSON.stringify({ date: '2026-11-01', paymentAmount: 1.5, paymentRecipient: 'CollectionPartner' }),
      'CaseNotFound',
    ],
    ['record with malformed JSON', 'POST', (id) => `/cases/${id}/payments`, '{"date":', 'CaseNotFound'],
    ['list with a bad filter', 'GET', (id) => `/cases/${id}/payments?minAmount=abc`, undefined, 'CaseNotFound'],
    ['correct with {}', 'PUT', (id) => `/cases/${id}/payments/${unknown}`, '{}', 'PaymentNotFound'],
    ['delete with a bad flag', 'DELETE', (id) => `/cases/${id}/payments/${unknown}?reopenCaseIfNeeded=maybe`, undefined, 'PaymentNotFound'],
    ['settle with {}', 'POST', (id) => `/cases/${id}/payments/${unknown}/commission`, '{}', 'PaymentNotFound'],
    ['close with an unknown code', 'POST', (id) => `/cases/${id}/close`, '{"closeCode":"Nope"}', 'CaseNotFound'],
    ['advance with a bad state', 'POST', (id) => `/test/cases/${id}/advance`, '{"to":"Nope"}', 'CaseNotFound'],
  ];

  it.each(probes)('%s: 404 for the foreign case, as for an unknown id', async (_label, method, path, body, type) => {
    // the owner's own reads fill the gateway's case cache first: it must not answer for the intruder
    expect((await call('GET', `/cases/${foreignCase.id}`, { key: owner.apiKey })).status).toBe(200);
    expect((await call('GET', `/cases/${foreignCase.id}/payments`, { key: owner.apiKey })).status).toBe(200);
    const foreign = await raw(method, path(foreignCase.id), { headers: { XApiKey: intruder.apiKey }, body });
    const none = await raw(method, path(unknown), { headers: { XApiKey: intruder.apiKey }, body });
    expect(foreign.status, foreign.text).toBe(404);
    expect(foreign.text).toBe(none.text);
    errorShaped(foreign.body, type);
    expect(foreign.text).not.toMatch(/JPY|decimals/);
  });

  it('a webhook of another partner is a 404 whatever the body', async () => {
    const hook = await call('POST', '/webhooks', { key: owner.apiKey, body: { url: 'https://93.184.216.34/hook', events: ['payment.created'] } });
    expect(hook.status, hook.text).toBe(201);
    const foreign = await raw('PUT', `/webhooks/${hook.body.id}`, { headers: { XApiKey: intruder.apiKey }, body: '{"events":["nope"]}' });
    expect(foreign.status, foreign.text).toBe(404);
    errorShaped(foreign.body, 'WebhookNotFound');
    // the owner gets the validation answer
    expect((await raw('PUT', `/webhooks/${hook.body.id}`, { headers: { XApiKey: owner.apiKey }, body: '{"events":["nope"]}' })).status).toBe(400);
  });
});

describe('oversize requests answer their status with the contract error body', () => {
  it('413 for a body over 1 MiB, 431 for huge headers, 414 for an over-long path segment', async () => {
    const body = await raw('POST', `/cases/${foreignCase.id}/payments`, {
      headers: { XApiKey: owner.apiKey },
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(body.status).toBe(413);
    errorShaped(body.body, 'ValidationError');
    const headers = await raw('GET', '/cases', { headers: { XApiKey: owner.apiKey, 'x-pad': 'x'.repeat(20_000) } });
    expect(headers.status).toBe(431);
    errorShaped(headers.body, 'ValidationError');
    const segment = await raw('GET', `/cases/${'a'.repeat(2000)}`, { headers: { XApiKey: owner.apiKey } });
    expect(segment.status).toBe(414);
    errorShaped(segment.body, 'ValidationError');
    const malformed = await raw('GET', '/cases/%zz', { headers: { XApiKey: owner.apiKey } });
    expect(malformed.status).toBe(400);
    errorShaped(malformed.body, 'ValidationError');
  });

  it('an answer given before the body was read reaches a client still sending it, on a connection it asked to close', async () => {
    // 413 (too large) and 401 (no key) are decided before the body is read. Closing the socket while
    // the client still writes makes its kernel reset the connection, and the answer is lost (EPIPE).
    const url = new URL(stack.gatewayUrl);
    const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    const send = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/admin/partners',
            agent: false,
            headers: { 'content-type': 'application/json', 'content-length': String(big.length), ...headers },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.statusCode)));
            res.on('error', (e) => resolve(e.message));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        req.end(big);
      });
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const outcome = await send(i % 2 === 0 ? { XApiKey: ADMIN } : {});
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ '413': 150, '401': 150 });
  });
});

describe('an Idempotency-Key whose request died', () => {
  const body = { date: '2026-11-02', paymentAmount: 5, paymentRecipient: 'CollectionPartner' };

  it('is held only by a short lease: 409 with a truthful Retry-After, then taken over', async () => {
    const c = await newCase(call, owner.id);
    const path = `/cases/${c.id}/payments`;
    // a request that claimed the key and died: its lease has 3 s left and nobody renews it
    await db
      .withSchema('gateway')
      .table('idempotency_keys')
      .insert({
        partner_id: owner.id,
        key: 'dead-owner',
        request_hash: requestHash('POST', path, body),
        state: 'running',
        locked_until: new Date(Date.now() + 3_000),
        owner: '00000000-0000-4000-8000-000000000001',
      });
    const busy = await pay(call, owner.apiKey, c.id, body, { 'Idempotency-Key': 'dead-owner' });
    expect(busy.status, busy.text).toBe(409);
    errorShaped(busy.body, 'IdempotencyKeyInUse');
    const retryAfter = Number(busy.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    let answer: Json;
    await pollUntil(
      async () => {
        const res = await pay(call, owner.apiKey, c.id, body, { 'Idempotency-Key': 'dead-owner' });
        answer = res;
        return res.status === 200;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the dead request’s key to be taken over' },
    );
    expect(answer.headers.get('idempotency-replayed')).toBeNull();
    expect(((await call('GET', path, { key: owner.apiKey })).body as Json[]).length).toBe(1);
  });

  it('a retry that finds the payment the ledger committed before the gateway died says it is a replay', async () => {
    const c = await newCase(call, owner.id);
    const first = await pay(call, owner.apiKey, c.id, body, { 'Idempotency-Key': 'gateway-died' });
    expect(first.status).toBe(200);
    // the gateway died after the ledger committed, before it stored the answer: its claim is left running and expired
    await db
      .withSchema('gateway')
      .table('idempotency_keys')
      .where({ partner_id: owner.id, key: 'gateway-died' })
      .update({ state: 'running', status_code: null, response_body: null, locked_until: new Date(Date.now() - 1_000) });
    const retry = await pay(call, owner.apiKey, c.id, body, { 'Idempotency-Key': 'gateway-died' });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.paymentId).toBe(first.body.paymentId);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(((await call('GET', `/cases/${c.id}/payments`, { key: owner.apiKey })).body as Json[]).length).toBe(1);
  });
});

describe('webhook destinations that cannot be checked are refused at registration', () => {
  it.each([
    ['a host that does not resolve', 'https://no-such-host.invalid/hook', /does not resolve/],
    ['an IPv4-compatible IPv6 loopback', 'https://[::7f00:1]/hook', /public address/],
    ['an IPv4-compatible IPv6 metadata address', 'https://[::a9fe:a9fe]/hook', /public address/],
  ])('%s', async (_label, url, message) => {
    const res = await call('POST', '/webhooks', { key: owner.apiKey, body: { url, events: ['payment.created'] } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.businessErrors[0]).toMatchObject({ type: 'ValidationError', field: 'url', message: expect.stringMatching(message) });
  });
});
