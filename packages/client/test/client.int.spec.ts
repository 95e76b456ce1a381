// The typed client against the running stack: it is generated from the very document the gateway serves,
// it records payments with idempotency keys of its own (concurrent sends with one key record once), its
// errors carry the §1 business errors, and a webhook the platform delivers verifies into a typed event.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil, startStack, WebhookSink, type RunningStack } from '@pp/testing';
import { ApiError, createClient, unwrap, verifyWebhook, type PaymentsClient } from '../src';

const ADMIN = 'client-int-admin-key';
let stack: RunningStack;
const sink = new WebhookSink();
let admin: PaymentsClient;

beforeAll(async () => {
  await sink.start();
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' },
  });
  admin = createClient({ baseUrl: stack.gatewayUrl, apiKey: ADMIN });
});

afterAll(async () => {
  await stack?.stop();
  await sink.stop();
});

async function newPartnerWithCase() {
  const partner = await unwrap(admin.POST('/admin/partners', { body: { companyName: `Client Co ${Date.now()}`, officeEmail: 'client@example.test' } }));
  const c = await unwrap(admin.POST('/admin/cases', { body: { partnerId: partner.id, currency: 'EUR', grossAmount: 1000, successFee: 20 } }));
  return { partner, caseId: c.id, api: createClient({ baseUrl: stack.gatewayUrl, apiKey: partner.apiKey }) };
}

describe('@pp/client on the stack', () => {
  it('is generated from the document the gateway serves', async () => {
    const live = await (await fetch(`${stack.gatewayUrl}/openapi.json`)).json();
    const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'openapi.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(live);
  });

  it('records a payment once however often the same call is sent, and reads it back typed', async () => {
    const { api, caseId } = await newPartnerWithCase();
    const body = { date: '2026-11-01', paymentAmount: 120.5, paymentRecipient: 'CollectionPartner' as const };
    const sends = Array.from({ length: 4 }, () =>
      unwrap(api.POST('/cases/{id}/payments', { params: { path: { id: caseId }, header: { 'Idempotency-Key': 'same-call' } }, body })),
    );
    const answers = await Promise.all(sends);
    expect(new Set(answers.map((a) => a.paymentId)).size).toBe(1);
    // without a key of the caller's, the client makes one per call: two calls, two payments
    await unwrap(api.POST('/cases/{id}/payments', { params: { path: { id: caseId } }, body }));
    const payments = await unwrap(api.GET('/cases/{id}/payments', { params: { path: { id: caseId } } }));
    if (!Array.isArray(payments)) throw new Error('without Page, the list is an array');
    expect(payments.map((p) => p.paymentAmount)).toEqual([120.5, 120.5]);
    const page = await unwrap(api.GET('/cases/{id}/payments', { params: { path: { id: caseId }, query: { PageSize: 1 } } }));
    if (Array.isArray(page)) throw new Error('with PageSize, one page');
    expect(page.page).toMatchObject({ totalResults: 2, pageSize: 1, responseCount: 1 });
    const c = await unwrap(api.GET('/cases/{id}', { params: { path: { id: caseId } } }));
    expect(c.remainder).toBe(759);
  });

  it('answers errors as ApiError with the business errors of the body', async () => {
    const { api, caseId } = await newPartnerWithCase();
    const error = (await unwrap(
      api.POST('/cases/{id}/payments', { params: { path: { id: caseId } }, body: { date: '2026-11-01', paymentAmount: 1.001, paymentRecipient: 'Creditor' } }),
    ).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.has('ValidationError', 'paymentAmount')).toBe(true);
    const missing = (await unwrap(api.GET('/cases/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(missing.type).toBe('CaseNotFound');
    const unauthorized = (await unwrap(createClient({ baseUrl: stack.gatewayUrl, apiKey: 'nope' }).GET('/me')).catch((e: unknown) => e)) as ApiError;
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.type).toBe('Unauthorized');
  });

  it('verifies a delivered webhook into its typed event', async () => {
    const { api, caseId } = await newPartnerWithCase();
    const hook = await unwrap(api.POST('/webhooks', { body: { url: sink.url(`/hook-${caseId}`), events: ['payment.created'] } }));
    const recorded = await unwrap(
      api.POST('/cases/{id}/payments', {
        params: { path: { id: caseId } },
        body: { date: '2026-11-02', paymentAmount: 10, paymentRecipient: 'CollectionPartner' },
      }),
    );
    const delivery = await pollUntil(async () => sink.received.find((r) => r.path === `/hook-${caseId}`), { timeoutMs: 30_000, what: 'the webhook' });
    const event = verifyWebhook(delivery.body, delivery.headers, hook.secret);
    expect(event.event).toBe('payment.created');
    if (event.event === 'payment.created') {
      expect(event.data.caseId).toBe(caseId);
      expect(event.data.payment.id).toBe(recorded.paymentId);
    }
    expect(() => verifyWebhook(delivery.body.replace(caseId, '00000000-0000-4000-8000-000000000000'), delivery.headers, hook.secret)).toThrow();
  });
});
