import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ApiError, createClient, unwrap, verifyWebhook, WebhookVerificationError } from './index';
import { delayBefore, DEFAULT_RETRY, takesIdempotencyKey } from './retry';

const CASE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const inUse = () =>
  json(
    409,
    { businessErrors: [{ type: 'IdempotencyKeyInUse', message: 'running' }], error: 'IdempotencyKeyInUse', message: 'running' },
    { 'Retry-After': '2' },
  );

/** A scripted server: answers in order, and remembers each request it got (method, path, key, body). */
function server(...answers: (() => Response)[]) {
  const seen: { method: string; path: string; key: string | null; body: string }[] = [];
  const waits: number[] = [];
  const fetch = (async (request: Request) => {
    seen.push({ method: request.method, path: new URL(request.url).pathname, key: request.headers.get('Idempotency-Key'), body: await request.text() });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  }) as typeof globalThis.fetch;
  let n = 0;
  const client = createClient({
    baseUrl: 'http://api.test/',
    apiKey: 'pk_test',
    fetch,
    sleep: async (ms) => void waits.push(ms),
    idempotencyKey: () => `generated-${++n}`,
  });
  return { client, seen, waits };
}

const paymentBody = { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'CollectionPartner' as const };

describe('the client', () => {
  it('gives a POST that takes an Idempotency-Key one, keeps the caller’s, and gives none where the API takes none', async () => {
    const { client, seen } = server(
      () => json(200, { paymentId: CASE }),
      () => json(200, { paymentId: CASE }),
      () => json(201, {}),
    );
    await client.POST('/cases/{id}/payments', { params: { path: { id: CASE } }, body: paymentBody });
    await client.POST('/cases/{id}/payments', { params: { path: { id: CASE }, header: { 'Idempotency-Key': 'mine' } }, body: paymentBody });
    await client.POST('/admin/partners', { body: { companyName: 'A', officeEmail: 'a@example.test' } });
    expect(seen.map((s) => s.key)).toEqual(['generated-1', 'mine', null]);
    expect(seen[0]!.path).toBe(`/cases/${CASE}/payments`);
    expect(JSON.parse(seen[0]!.body)).toEqual(paymentBody);
  });

  it('retries 409 IdempotencyKeyInUse after Retry-After with the same key and body, then answers the result', async () => {
    const { client, seen, waits } = server(inUse, () => json(200, { paymentId: CASE }));
    const data = await unwrap(client.POST('/cases/{id}/payments', { params: { path: { id: CASE } }, body: paymentBody }));
    expect(data.paymentId).toBe(CASE);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.key).toBe(seen[0]!.key);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(waits).toEqual([2000]);
  });

  it('retries 429 and 503 on reads with a growing pause, and gives up after maxRetries with the last answer', async () => {
    const busy = () => json(503, { businessErrors: [{ type: 'ServiceUnavailable', message: 'later' }], error: 'ServiceUnavailable', message: 'later' });
    const { client, seen, waits } = server(
      () => json(429, { error: 'rate_limit_exceeded', message: 'slow down', retryAfter: 1 }, { 'Retry-After': '1' }),
      busy,
      busy,
      busy,
    );
    const error = await unwrap(client.GET('/cases/{id}', { params: { path: { id: CASE } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).type).toBe('ServiceUnavailable');
    expect(seen).toHaveLength(1 + DEFAULT_RETRY.maxRetries);
    expect(waits[0]).toBe(1000);
    expect(waits.slice(1).every((w) => w > 0 && w <= DEFAULT_RETRY.maxDelayMs)).toBe(true);
  });

  it('never sends a POST without a key twice, and never retries 409 CaseClosed', async () => {
    const a = server(
      () => json(503, {}),
      () => json(201, {}),
    );
    const res = await a.client.POST('/admin/partners', { body: { companyName: 'A', officeEmail: 'a@example.test' } });
    expect(res.response.status).toBe(503);
    expect(a.seen).toHaveLength(1);
    const closed = () => json(409, { businessErrors: [{ type: 'CaseClosed', message: 'closed' }], error: 'CaseClosed', message: 'closed' });
    const b = server(closed, closed);
    const error = (await unwrap(b.client.POST('/cases/{id}/payments', { params: { path: { id: CASE } }, body: paymentBody })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(b.seen).toHaveLength(1);
    expect(error.has('CaseClosed')).toBe(true);
  });

  it('retries a network failure only when the request is safe to repeat', async () => {
    const down = () => {
      throw new TypeError('fetch failed');
    };
    const a = server(down, () => json(200, { paymentId: CASE }));
    expect((await a.client.POST('/cases/{id}/payments', { params: { path: { id: CASE } }, body: paymentBody })).data?.paymentId).toBe(CASE);
    const b = server(down, () => json(201, {}));
    await expect(b.client.POST('/admin/partners', { body: { companyName: 'A', officeEmail: 'a@example.test' } })).rejects.toThrow('fetch failed');
    expect(b.seen).toHaveLength(1);
  });

  it('turns an error answer into an ApiError with every business error, and its request id', async () => {
    const body = {
      businessErrors: [
        { type: 'ValidationError', message: 'must be positive', field: 'paymentAmount' },
        { type: 'ValidationError', message: 'is required', field: 'date' },
      ],
      error: 'ValidationError',
      message: 'must be positive',
    };
    const { client } = server(() => json(400, body, { 'Request-Id': 'req-1' }));
    const error = (await unwrap(client.POST('/cases/{id}/payments', { params: { path: { id: CASE } }, body: paymentBody })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(error.status).toBe(400);
    expect(error.requestId).toBe('req-1');
    expect(error.businessErrors).toHaveLength(2);
    expect(error.has('ValidationError', 'date')).toBe(true);
    expect(error.message).toContain('paymentAmount: must be positive');
  });

  it('knows which operations take an Idempotency-Key from the document, and honours Retry-After in seconds or as a date', () => {
    expect(takesIdempotencyKey('POST', `/cases/${CASE}/payments`)).toBe(true);
    expect(takesIdempotencyKey('POST', '/webhooks')).toBe(true);
    expect(takesIdempotencyKey('PUT', `/cases/${CASE}/payments/${CASE}`)).toBe(false);
    expect(takesIdempotencyKey('POST', `/cases/${CASE}/payments/extra`)).toBe(false);
    const at = (header: string) => delayBefore(1, new Response(null, { headers: { 'Retry-After': header } }), DEFAULT_RETRY);
    expect(at('3')).toBe(3000);
    expect(at('100000')).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(at(new Date(Date.now() + 60_000).toUTCString())).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(delayBefore(3, undefined, DEFAULT_RETRY, () => 1)).toBe(4 * DEFAULT_RETRY.baseDelayMs);
  });
});

describe('verifyWebhook', () => {
  const secret = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
  const event = {
    id: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
    specVersion: '1.0',
    event: 'payment.created',
    timestamp: '2026-11-01T10:00:00.000Z',
    classification: 'production',
    data: { caseId: CASE, reference: 'REF1', sequence: 3 },
  };
  const signed = (body: string, at = new Date()) => {
    const headers = { 'webhook-id': event.id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)) };
    return { ...headers, 'webhook-signature': new Webhook(secret).sign(event.id, at, body) };
  };

  it('returns the typed event of a body signed with the secret', () => {
    const body = JSON.stringify(event);
    const verified = verifyWebhook(body, new Headers(signed(body)), secret);
    expect(verified.event).toBe('payment.created');
    if (verified.event === 'payment.created') expect(verified.data.sequence).toBe(3);
  });

  it('refuses a changed body, another secret, and an old timestamp', () => {
    const body = JSON.stringify(event);
    const headers = signed(body);
    expect(() => verifyWebhook(body.replace('REF1', 'REF2'), headers, secret)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(body, headers, `whsec_${Buffer.from('another secret, also 32 bytes!!!').toString('base64')}`)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(body, signed(body, new Date(Date.now() - 10 * 60_000)), secret)).toThrow(WebhookVerificationError);
  });
});
