// End to end through the REST API against the distributed stack (four processes) on the real
// PostgreSQL server and a real Kafka broker.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';

const ADMIN = 'test-admin-key';
let stack: RunningStack;
let db: Db;

async function call(method: string, path: string, opts: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: {
      ...(opts.key ? { XApiKey: opts.key } : {}),
      ...(opts.body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}),
      ...(opts.headers ?? {}),
    },
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function newPartner(name: string) {
  const res = await call('POST', '/admin/partners', { key: ADMIN, body: { companyName: name, officeEmail: `${name.toLowerCase()}@example.test` } });
  expect(res.status).toBe(201);
  return res.body as { id: string; apiKey: string };
}

async function newCase(partnerId: string, grossAmount = 1000) {
  const res = await call('POST', '/admin/cases', { key: ADMIN, body: { partnerId, currency: 'EUR', grossAmount, successFee: 20 } });
  expect(res.status).toBe(201);
  return res.body as { id: string; reference: string };
}

beforeAll(async () => {
  expect(inject('kafkaBrokers')).toBeTruthy();
  stack = await startStack({ databaseUrl: inject('databaseUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { ADMIN_API_KEY: ADMIN } });
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
});

describe('one payment end to end', () => {
  it('records a payment through gateway → gRPC → ledger → Kafka → case-lifecycle', async () => {
    const partner = await newPartner('Acme');
    const c = await newCase(partner.id);
    const res = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 250.5, paymentRecipient: 'CollectionPartner' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      caseReference: c.reference,
      paymentAmount: 250.5,
      payoutCollectionPartner: 50.1,
      payoutCreditor: 200.4,
      platformFee: 20.04,
      commissionPaymentStatus: 'Paid',
      caseClosed: false,
      closeCode: null,
      remainingAmount: 749.5,
      warnings: [],
    });
    // read-your-writes
    const after = await call('GET', `/cases/${c.id}`, { key: partner.apiKey });
    expect(after.body).toMatchObject({ totalPayments: 250.5, remainder: 749.5, lifecycle: 'Active' });
    // the ledger's event reached the case-lifecycle consumer over Kafka
    const started = Date.now();
    await pollUntil(async () => (await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'payment.created' })).length === 1, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'payment.created in case-lifecycle',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('closes on a settling payment and reopens only with consent', async () => {
    const partner = await newPartner('Closer');
    const c = await newCase(partner.id, 100);
    const pay = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Paid', closeCase: true },
    });
    expect(pay.body).toMatchObject({ caseClosed: true, closeCode: 'Paid', remainingAmount: 0 });
    expect((await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body).toMatchObject({ lifecycle: 'Closed', closeCode: 'Paid' });
    const again = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 1, paymentRecipient: 'Platform' },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'CaseClosed' });
    const paymentId = (pay.body as { paymentId: string }).paymentId;
    const refused = await call('DELETE', `/cases/${c.id}/payments/${paymentId}`, { key: partner.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ businessErrors: [{ type: 'ReopenConsentRequired' }] });
    expect((await call('DELETE', `/cases/${c.id}/payments/${paymentId}?reopenCaseIfNeeded=true`, { key: partner.apiKey })).status).toBe(204);
    expect((await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body).toMatchObject({
      lifecycle: 'Active',
      closeCode: null,
      remainder: 100,
      dateFinished: null,
    });
    expect((await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body).toEqual([]);
    const audit = (await call('GET', `/cases/${c.id}/audit`, { key: partner.apiKey })).body as unknown as { type: string }[];
    expect(audit.map((a) => a.type)).toEqual(['PaymentRecorded', 'CaseClosed', 'PaymentDeleted', 'CaseReopened']);
  });

  it('replays an idempotent request and records one payment', async () => {
    const partner = await newPartner('Retry');
    const c = await newCase(partner.id);
    const body = { date: '2026-11-03', paymentAmount: 10, paymentRecipient: 'CollectionPartner' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'same-key' } })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(new Set(ok.map((r) => (r.body as { paymentId: string }).paymentId)).size).toBe(1);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const replay = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'same-key' } });
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    const conflict = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { ...body, paymentAmount: 11 },
      headers: { 'Idempotency-Key': 'same-key' },
    });
    expect(conflict.status).toBe(422);
    expect(conflict.body).toMatchObject({ error: 'IdempotencyConflict' });
    expect(((await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body as unknown as unknown[]).length).toBe(1);
  });

  it('answers bad requests with the right 4xx and error body, never a 5xx', async () => {
    const partner = await newPartner('Strict');
    const other = await newPartner('Other');
    const c = await newCase(partner.id);
    expect((await call('GET', `/cases/${c.id}`)).status).toBe(401);
    const wrong = await call('GET', `/cases/${c.id}`, { key: 'not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ type: 'Unauthorized', status: 401 });
    expect((await call('POST', '/admin/partners', { key: partner.apiKey, body: {} })).status).toBe(403);
    const foreign = await call('GET', `/cases/${c.id}`, { key: other.apiKey });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: 'CaseNotFound' });
    const malformed = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, raw: '{"date": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'ValidationError' });
    const bad = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: 'yesterday', paymentAmount: 1.001, paymentRecipient: 'Nobody' },
    });
    expect(bad.status).toBe(400);
    const fields = (bad.body as { businessErrors: { type: string; field: string }[] }).businessErrors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['date', 'paymentAmount', 'paymentRecipient']));
    expect((await call('GET', '/cases/not-a-uuid', { key: partner.apiKey })).status).toBe(404);
  });
});
