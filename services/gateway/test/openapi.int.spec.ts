// Issue 6 against the distributed stack: the gateway's GET /openapi.json validates as OpenAPI 3.1, every
// operation in it is called, and every answer (success and error bodies, webhook envelopes) matches the
// schema the document gives for its status; GET /docs renders every operation in Chromium (Swagger UI,
// served by the gateway) under its own CSP with nothing loaded from elsewhere. (The unit test
// src/http/openapi.spec.ts checks the route coverage.) And a real client of the original API (issue 13):
// OpenAPI Generator's Java client, generated at test time from the original's document
// (tools/java-client), drives the payment flow and reads every answer.
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as nodePath from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, KafkaBus } from '@pp/platform';
import { CHROMIUM, ensureChromium, pollUntil, startStack, type RunningStack } from '@pp/testing';
import { client, type Call, type Json, type Reply } from './rest-harness';

const ADMIN = 'openapi-admin-key';
const COMPONENTS = 'https://partner-payments.test/components';
const AXE_SOURCE = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

type Schema = Record<string, unknown>;
type ResponseObject = { $ref?: string; content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> };
type OperationObject = { operationId: string; parameters?: { name: string }[]; responses: Record<string, ResponseObject> };
type Doc = {
  paths: Record<string, Record<string, OperationObject>>;
  webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }>;
  components: { schemas: Record<string, Schema>; responses: Record<string, ResponseObject> };
};

let stack: RunningStack;
let call: Call;
let doc: Doc;
let ajv: Ajv2020;
/** operations answered with a 2xx that matched the document */
const succeeded = new Set<string>();
/** every METHOD path status checked */
const checked = new Set<string>();

function forAjv(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? `${COMPONENTS}#/$defs/${v.slice('#/components/schemas/'.length)}`
        : forAjv(v),
    ]),
  );
}

function matches(schema: Schema, value: unknown, what: string): void {
  const validate = ajv.compile(forAjv(schema) as object);
  expect(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)?.slice(0, 800)}`).toBe(true);
}

/** The answer matches the response the document gives for its status; `template` is the documented path. */
function documented(method: string, template: string, res: Reply): Reply {
  const operation = doc.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is documented`).toBeTruthy();
  const status = String(res.status);
  let response = operation!.responses[status] ?? operation!.responses[`${status[0]}XX`];
  expect(response, `${method} ${template} → ${status} is documented (${JSON.stringify(res.body)?.slice(0, 300)})`).toBeTruthy();
  if (response!.$ref) response = doc.components.responses[response!.$ref.split('/').at(-1)!]!;
  // issue 16: every answer carries Request-Id, and the document says so of every response
  expect(res.headers.get('request-id'), `${method} ${template} → ${status} Request-Id`).toBeTruthy();
  expect(response!.headers?.['Request-Id'], `${method} ${template} → ${status} documents Request-Id`).toBeTruthy();
  const content = response!.content ?? {};
  if (Object.keys(content).length === 0) expect(res.text, `${method} ${template} → ${status} has no body`).toBe('');
  else if (content['application/json']) matches(content['application/json'].schema, res.body, `${method} ${template} → ${status}`);
  else
    expect(
      Object.keys(content).some((type) => (res.headers.get('content-type') ?? '').startsWith(type)),
      `${method} ${template} → ${status} content type`,
    ).toBe(true);
  checked.add(`${method} ${template} ${status}`);
  if (status.startsWith('2')) succeeded.add(`${method} ${template}`);
  return res;
}

async function expectStatus(status: number, method: string, template: string, path: string, opts: Parameters<Call>[2] = {}): Promise<Json> {
  const res = await call(method, path, opts);
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 400)}`).toBe(status);
  return documented(method, template, res).body;
}

beforeAll(async () => {
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: {
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_INSECURE: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0s,1s',
      RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  call = client(() => stack.gatewayUrl);
  const res = await call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body as Doc;
  ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: COMPONENTS, $defs: forAjv(doc.components.schemas) });
});

afterAll(async () => {
  await stack?.stop();
});

describe('GET /openapi.json of the running gateway', () => {
  it('validates as OpenAPI 3.1', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every answer of every operation: bodies, errors and webhook envelopes', async () => {
    // operations (SPEC §8)
    for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) await expectStatus(200, 'GET', p, p);

    // operator (SPEC §2) and the key errors (SPEC §1)
    const partner = await expectStatus(201, 'POST', '/admin/partners', '/admin/partners', {
      key: ADMIN,
      body: { companyName: 'OpenAPI Partner', officeEmail: 'openapi@example.test', preLegalRevenueShare: 0.35 },
    });
    const key = partner.apiKey as string;
    await expectStatus(401, 'POST', '/admin/partners', '/admin/partners', { body: {} });
    await expectStatus(403, 'POST', '/admin/partners', '/admin/partners', { key, body: {} });
    await expectStatus(400, 'POST', '/admin/partners', '/admin/partners', { key: ADMIN, raw: '{"companyName": ' });
    const full = {
      partnerId: partner.id,
      currency: 'EUR',
      grossAmount: 1000,
      interestFees: 10.5,
      successFee: 20,
      currentEngagementPhase: 'Legal',
      creditorReference: 'CR-9',
      date: '2026-10-01',
      dueDate: '2026-10-31',
      creditor: { companyName: 'Creditor Co', officeEmail: 'creditor@example.test' },
      debtor: { type: 'Person', name: 'Debtor', id: '6f1c2a3b-1111-4222-8333-444455556666' },
    };
    const a = await expectStatus(201, 'POST', '/admin/cases', '/admin/cases', { key: ADMIN, body: full });

    // partners and keys (issue 15)
    const unknownPartner = '00000000-0000-4000-8000-000000000000';
    const onePartner = `/admin/partners/${partner.id}`;
    await expectStatus(200, 'GET', '/admin/partners', '/admin/partners?PageSize=2', { key: ADMIN });
    await expectStatus(400, 'GET', '/admin/partners', '/admin/partners?Page=0', { key: ADMIN });
    await expectStatus(200, 'GET', '/admin/partners/{id}', onePartner, { key: ADMIN });
    await expectStatus(404, 'GET', '/admin/partners/{id}', `/admin/partners/${unknownPartner}`, { key: ADMIN });
    await expectStatus(200, 'PATCH', '/admin/partners/{id}', onePartner, { key: ADMIN, body: { companyName: 'OpenAPI Partner Ltd' } });
    await expectStatus(400, 'PATCH', '/admin/partners/{id}', onePartner, { key: ADMIN, body: { active: 'yes' } });
    await expectStatus(404, 'PATCH', '/admin/partners/{id}', `/admin/partners/${unknownPartner}`, { key: ADMIN, body: {} });
    const spare = await expectStatus(201, 'POST', '/admin/partners/{id}/keys', `${onePartner}/keys`, { key: ADMIN });
    await expectStatus(404, 'POST', '/admin/partners/{id}/keys', `/admin/partners/${unknownPartner}/keys`, { key: ADMIN });
    await expectStatus(200, 'GET', '/admin/partners/{id}/keys', `${onePartner}/keys`, { key: ADMIN });
    await expectStatus(404, 'GET', '/admin/partners/{id}/keys', `/admin/partners/${unknownPartner}/keys`, { key: ADMIN });
    await expectStatus(204, 'DELETE', '/admin/partners/{id}/keys/{keyId}', `${onePartner}/keys/${spare.id}`, { key: ADMIN });
    await expectStatus(404, 'DELETE', '/admin/partners/{id}/keys/{keyId}', `${onePartner}/keys/${spare.id}`, { key: ADMIN });
    await expectStatus(200, 'GET', '/admin/audit', `/admin/audit?targetId=${partner.id}`, { key: ADMIN });
    await expectStatus(400, 'GET', '/admin/audit', '/admin/audit?PageSize=0', { key: ADMIN });
    const b = await expectStatus(201, 'POST', '/admin/cases', '/admin/cases', {
      key: ADMIN,
      body: { partnerId: partner.id, currency: 'JPY', grossAmount: 5000, successFee: 10 },
    });

    // cases (SPEC §3), partner (SPEC §8)
    await expectStatus(200, 'GET', '/me', '/me', { key });
    const mine = (await expectStatus(200, 'GET', '/me/keys', '/me/keys', { key })) as Json[];
    const rotated = await expectStatus(201, 'POST', '/me/keys', '/me/keys', { key });
    await expectStatus(400, 'DELETE', '/me/keys/{keyId}', `/me/keys/${mine[0].id}`, { key });
    await expectStatus(204, 'DELETE', '/me/keys/{keyId}', `/me/keys/${rotated.id}`, { key });
    await expectStatus(404, 'DELETE', '/me/keys/{keyId}', `/me/keys/${rotated.id}`, { key });
    await expectStatus(200, 'GET', '/cases', '/cases?Statuses=Active&PageSize=5', { key });
    await expectStatus(400, 'GET', '/cases', '/cases?Page=0', { key });
    await expectStatus(401, 'GET', '/cases', '/cases', { key: 'unknown-key' });
    await expectStatus(200, 'GET', '/cases/{id}', `/cases/${a.id}`, { key });
    await expectStatus(404, 'GET', '/cases/{id}', '/cases/00000000-0000-4000-8000-000000000000', { key });
    await expectStatus(200, 'GET', '/cases/case-reference/{caseReference}', `/cases/case-reference/${a.reference}`, { key });
    await expectStatus(404, 'GET', '/cases/case-reference/{caseReference}', '/cases/case-reference/NOSUCHREF', { key });
    await expectStatus(404, 'GET', '/managed-cases/{id}', `/managed-cases/${a.id}`, { key });
    await expectStatus(404, 'GET', '/managed-cases/case-reference/{caseReference}', `/managed-cases/case-reference/${a.reference}`, { key });

    // webhooks (SPEC §6), first, so that the events below are delivered
    const hook = { url: 'http://127.0.0.1:9/hook', events: ['case.updated', 'case.closed', 'payment.created', 'payment.updated', 'payment.deleted'] };
    const webhook = await expectStatus(201, 'POST', '/webhooks', '/webhooks', { key, body: hook, headers: { 'Idempotency-Key': 'openapi-hook' } });
    const replayed = await call('POST', '/webhooks', { key, body: hook, headers: { 'Idempotency-Key': 'openapi-hook' } });
    expect(replayed.headers.get('idempotency-replayed')).toBe('true');
    documented('POST', '/webhooks', replayed);
    await expectStatus(422, 'POST', '/webhooks', '/webhooks', { key, body: { ...hook, isTestMode: true }, headers: { 'Idempotency-Key': 'openapi-hook' } });
    await expectStatus(400, 'POST', '/webhooks', '/webhooks', { key, body: { ...hook, events: ['case.opened'] } });

    // payments (SPEC §4)
    const paymentsOfA = `/cases/${a.id}/payments`;
    await expectStatus(200, 'POST', '/cases/{id}/payments', paymentsOfA, {
      key,
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
      headers: { 'Idempotency-Key': 'openapi-payment' },
    });
    await expectStatus(200, 'POST', '/cases/{id}/payments', paymentsOfA, {
      key,
      body: { date: '2026-11-02', paymentAmount: 50.25, paymentRecipient: 'Platform', payoutCreditor: 40.25, payoutCollectionPartner: 10 },
    });
    await expectStatus(400, 'POST', '/cases/{id}/payments', paymentsOfA, {
      key,
      body: { date: '2026-11-02', paymentAmount: 1.001, paymentRecipient: 'Platform' },
    });
    await expectStatus(404, 'POST', '/cases/{id}/payments', '/cases/not-a-uuid/payments', { key, body: {} });
    const list = await expectStatus(200, 'GET', '/cases/{id}/payments', `${paymentsOfA}?dateFrom=2026-01-01&minAmount=1`, { key });
    await expectStatus(400, 'GET', '/cases/{id}/payments', `${paymentsOfA}?minAmount=-1`, { key });
    // issue 16: the same lists paginated on request answer the page object, which the document allows too
    expect(await expectStatus(200, 'GET', '/cases/{id}/payments', `${paymentsOfA}?Page=2&PageSize=1`, { key })).toMatchObject({
      page: { totalResults: 2, pageSize: 1, currentPage: 2, responseCount: 1, totalPages: 2 },
    });
    await expectStatus(400, 'GET', '/cases/{id}/payments', `${paymentsOfA}?PageSize=101`, { key });
    const creditorPayment = (list as Json[]).find((p) => p.paymentRecipient === 'Creditor');
    const onePayment = `${paymentsOfA}/${creditorPayment.id}`;
    await expectStatus(200, 'PUT', '/cases/{id}/payments/{paymentId}', onePayment, {
      key,
      body: { date: '2026-11-01', paymentAmount: 120, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    await expectStatus(404, 'PUT', '/cases/{id}/payments/{paymentId}', `${paymentsOfA}/00000000-0000-4000-8000-000000000000`, {
      key,
      body: { date: '2026-11-01', paymentAmount: 1, paymentRecipient: 'Creditor' },
    });

    // follow-up (SPEC §5)
    await pollUntil(async () => ((await call('GET', `/tasks?caseId=${a.id}`, { key })).body as Json[]).length > 0, { what: 'a follow-up task' });
    const tasks = await expectStatus(200, 'GET', '/tasks', `/tasks?caseId=${a.id}&status=Open`, { key });
    expect((tasks as Json[]).length).toBeGreaterThan(0);
    await expectStatus(400, 'GET', '/tasks', '/tasks?status=Nope', { key });
    expect(await expectStatus(200, 'GET', '/tasks', `/tasks?caseId=${a.id}&PageSize=5`, { key })).toHaveProperty('tasks');
    await pollUntil(async () => ((await call('GET', '/mail', { key })).body as Json[]).length > 0, { what: 'a follow-up email' });
    const mail = await expectStatus(200, 'GET', '/mail', '/mail?limit=10', { key });
    expect((mail as Json[]).length).toBeGreaterThan(0);
    // what the partner is owed (issue 16), while the commission is still unpaid
    const owed = await expectStatus(200, 'GET', '/commissions/owed', '/commissions/owed?PageSize=5&includeTestCases=true', { key });
    expect(owed.owed).toHaveLength(1);
    await expectStatus(200, 'POST', '/cases/{id}/payments/{paymentId}/commission', `${onePayment}/commission`, { key, body: { status: 'Paid' } });

    // a delete, the invoicing run and the frozen payment
    const paymentsOfB = `/cases/${b.id}/payments`;
    const onB = await expectStatus(200, 'POST', '/cases/{id}/payments', paymentsOfB, {
      key,
      body: { date: '2026-11-01', paymentAmount: 300, paymentRecipient: 'CollectionPartner' },
    });
    const another = await expectStatus(200, 'POST', '/cases/{id}/payments', paymentsOfB, {
      key,
      body: { date: '2026-11-03', paymentAmount: 100, paymentRecipient: 'CollectionPartner' },
    });
    await expectStatus(204, 'DELETE', '/cases/{id}/payments/{paymentId}', `${paymentsOfB}/${another.paymentId}?reopenCaseIfNeeded=false`, { key });
    await expectStatus(404, 'DELETE', '/cases/{id}/payments/{paymentId}', `${paymentsOfB}/${another.paymentId}`, { key });
    const run = await expectStatus(200, 'POST', '/admin/invoicing-runs', '/admin/invoicing-runs', { key: ADMIN, body: { partnerId: partner.id } });
    // the invoices read back (issue 15)
    const invoice = (run.invoices as Json[])[0]!;
    await expectStatus(200, 'GET', '/admin/invoices', `/admin/invoices?PartnerId=${partner.id}&PageSize=5`, { key: ADMIN });
    await expectStatus(400, 'GET', '/admin/invoices', '/admin/invoices?Page=0', { key: ADMIN });
    await expectStatus(403, 'GET', '/admin/invoices', '/admin/invoices', { key });
    await expectStatus(200, 'GET', '/admin/invoices/{id}', `/admin/invoices/${invoice.id}`, { key: ADMIN });
    await expectStatus(404, 'GET', '/admin/invoices/{id}', '/admin/invoices/not-a-uuid', { key: ADMIN });
    await expectStatus(200, 'GET', '/admin/invoices/{id}/csv', `/admin/invoices/${invoice.id}/csv`, { key: ADMIN });
    await expectStatus(404, 'GET', '/admin/invoices/{id}/csv', '/admin/invoices/00000000-0000-4000-8000-000000000000/csv', { key: ADMIN });
    // what the partner is owed, and the CSV exports (issue 16)
    await expectStatus(400, 'GET', '/commissions/owed', '/commissions/owed?Page=0', { key });
    await expectStatus(401, 'GET', '/commissions/owed', '/commissions/owed', {});
    await expectStatus(200, 'GET', '/commissions/owed/export', '/commissions/owed/export', { key });
    await expectStatus(400, 'GET', '/commissions/owed/export', '/commissions/owed/export?includeTestCases=yes', { key });
    await expectStatus(200, 'GET', '/payments/export', '/payments/export?dateFrom=2026-01-01&dateTo=2026-12-31', { key });
    await expectStatus(400, 'GET', '/payments/export', '/payments/export?dateFrom=2026-12-31&dateTo=2026-01-01', { key });
    await expectStatus(422, 'DELETE', '/cases/{id}/payments/{paymentId}', `${paymentsOfB}/${onB.paymentId}`, { key });

    // closing, the audit trail
    await expectStatus(400, 'POST', '/cases/{id}/close', `/cases/${a.id}/close`, { key, body: { closeCode: 'Paid' } });
    await expectStatus(200, 'POST', '/cases/{id}/close', `/cases/${a.id}/close`, { key, body: { closeCode: 'Other', comment: 'documented' } });
    await expectStatus(409, 'POST', '/cases/{id}/close', `/cases/${a.id}/close`, { key, body: { closeCode: 'Other' } });
    await expectStatus(409, 'POST', '/cases/{id}/payments', paymentsOfA, { key, body: { date: '2026-11-05', paymentAmount: 1, paymentRecipient: 'Platform' } });
    await expectStatus(200, 'GET', '/cases/{id}/audit', `/cases/${a.id}/audit`, { key });

    // fees and the timeline (SPEC §10)
    await expectStatus(200, 'PUT', '/cases/{id}/fees', `/cases/${b.id}/fees`, {
      key,
      body: { interestFees: 120, grossAmount: 6000, confirmPriceChange: false },
    });
    await expectStatus(400, 'PUT', '/cases/{id}/fees', `/cases/${b.id}/fees`, { key, body: { interestFees: 1.5 } });
    await expectStatus(400, 'PUT', '/cases/{id}/fees', `/cases/${a.id}/fees`, { key, body: { reminderFees: 1 } });
    await expectStatus(404, 'PUT', '/cases/{id}/fees', '/cases/00000000-0000-4000-8000-000000000000/fees', { key, body: {} });
    await expectStatus(200, 'GET', '/cases/{id}/audit', `/cases/${b.id}/audit`, { key });
    expect(await expectStatus(200, 'GET', '/cases/{id}/audit', `/cases/${b.id}/audit?Page=1&PageSize=2`, { key })).toHaveProperty('entries');
    await expectStatus(400, 'GET', '/cases/{id}/audit', `/cases/${b.id}/audit?Page=0`, { key });
    await expectStatus(200, 'GET', '/cases/{id}/timeline', `/cases/${a.id}/timeline`, { key });
    await expectStatus(200, 'GET', '/cases/{id}/timeline', `/cases/${b.id}/timeline`, { key });
    await expectStatus(404, 'GET', '/cases/{id}/timeline', '/cases/not-a-uuid/timeline', { key });

    // the webhook subscription, its delivery log, the envelopes
    await expectStatus(200, 'GET', '/webhooks', '/webhooks', { key });
    await expectStatus(200, 'GET', '/webhooks/{id}', `/webhooks/${webhook.id}`, { key });
    await expectStatus(200, 'PUT', '/webhooks/{id}', `/webhooks/${webhook.id}`, { key, body: { regenerateSecret: true, events: hook.events } });
    await pollUntil(async () => new Set(((await call('GET', `/webhooks/events?caseId=${a.id}`, { key })).body as Json[]).map((e) => e.eventType)).size >= 3, {
      what: 'webhook deliveries',
    });
    const deliveries = (await expectStatus(200, 'GET', '/webhooks/events', `/webhooks/events?caseId=${a.id}&since=2020-01-01`, { key })) as Json[];
    for (const d of deliveries)
      matches(
        doc.webhooks[d.eventType as string]!.post.requestBody.content['application/json']!.schema,
        JSON.parse(d.payload as string),
        `webhook ${d.eventType}`,
      );
    await expectStatus(400, 'GET', '/webhooks/events', '/webhooks/events?since=yesterday', { key });
    // the event stream (issue 16): its headers, then closed (its messages are tested in packages/client/test/listen.int.spec.ts)
    const streaming = new AbortController();
    const stream = await fetch(`${stack.gatewayUrl}/webhooks/events/stream`, { headers: { XApiKey: key }, signal: streaming.signal });
    streaming.abort();
    documented('GET', '/webhooks/events/stream', { status: stream.status, headers: stream.headers, text: '', body: undefined });
    await expectStatus(400, 'GET', '/webhooks/events/stream', '/webhooks/events/stream', { key, headers: { 'Last-Event-ID': 'nope' } });
    expect(await expectStatus(200, 'GET', '/webhooks/events', `/webhooks/events?caseId=${a.id}&Page=1&PageSize=2`, { key })).toHaveProperty('events');
    await expectStatus(200, 'POST', '/webhooks/events/{id}/replay', `/webhooks/events/${deliveries[0].id}/replay`, { key });
    await expectStatus(404, 'POST', '/webhooks/events/{id}/replay', '/webhooks/events/00000000-0000-4000-8000-000000000000/replay', { key });
    await expectStatus(200, 'GET', '/webhooks/events/{id}/attempts', `/webhooks/events/${deliveries[0].id}/attempts`, { key });
    await expectStatus(404, 'GET', '/webhooks/events/{id}/attempts', '/webhooks/events/00000000-0000-4000-8000-000000000000/attempts', { key });
    await expectStatus(204, 'DELETE', '/webhooks/{id}', `/webhooks/${webhook.id}`, { key });
    await expectStatus(404, 'GET', '/webhooks/{id}', `/webhooks/${webhook.id}`, { key });

    // test cases (SPEC §7)
    const managed = {
      isTest: true,
      currencyCode: 'KWD',
      amountToRecover: 10.125,
      date: '2026-11-01',
      creditorCompanyName: 'Cred',
      debtor: { type: 'Company', name: 'Deb' },
      tag: 'openapi-int',
    };
    const testHook = await expectStatus(201, 'POST', '/webhooks', '/webhooks', { key, body: { ...hook, isTestMode: true } });
    const t1 = await expectStatus(200, 'POST', '/managed-cases', '/managed-cases', { key, body: managed });
    await expectStatus(400, 'POST', '/managed-cases', '/managed-cases', { key, body: { ...managed, isTest: false } });
    await expectStatus(200, 'GET', '/managed-cases', '/managed-cases?PageSize=5', { key });
    await expectStatus(400, 'GET', '/managed-cases', '/managed-cases?PageSize=0', { key });
    await expectStatus(200, 'GET', '/managed-cases/{id}', `/managed-cases/${t1.id}`, { key });
    await expectStatus(200, 'GET', '/managed-cases/case-reference/{caseReference}', `/managed-cases/case-reference/${t1.reference}`, { key });
    await expectStatus(200, 'GET', '/cases', `/cases?Ids=${a.id},${b.id}&Sort=-remainder`, { key });
    await expectStatus(400, 'GET', '/cases', '/cases?Sort=amount', { key });
    // payments on a managed test case (SPEC §10), on a case of their own (t1's events are fired below)
    const t2 = await expectStatus(200, 'POST', '/managed-cases', '/managed-cases', { key, body: managed });
    const mp = await expectStatus(200, 'POST', '/managed-cases/{id}/payments', `/managed-cases/${t2.id}/payments`, {
      key,
      body: { date: '2026-11-02', paymentAmount: 1.5 },
    });
    await expectStatus(400, 'POST', '/managed-cases/{id}/payments', `/managed-cases/${a.id}/payments`, {
      key,
      body: { date: '2026-11-02', paymentAmount: 1.5 },
    });
    await expectStatus(404, 'POST', '/managed-cases/{id}/payments', '/managed-cases/00000000-0000-4000-8000-000000000000/payments', {
      key,
      body: { date: '2026-11-02', paymentAmount: 1.5 },
    });
    await expectStatus(200, 'GET', '/managed-cases/{id}/payments', `/managed-cases/${t2.id}/payments`, { key });
    expect(await expectStatus(200, 'GET', '/managed-cases/{id}/payments', `/managed-cases/${t2.id}/payments?Page=1`, { key })).toHaveProperty('payments');
    await expectStatus(400, 'GET', '/managed-cases/{id}/payments', `/managed-cases/${a.id}/payments`, { key });
    await expectStatus(200, 'PUT', '/managed-cases/{id}/payments/{paymentId}', `/managed-cases/${t2.id}/payments/${mp.paymentId}`, {
      key,
      body: { date: '2026-11-02', paymentAmount: 2, paymentRecipient: 'CollectionPartner' },
    });
    await expectStatus(404, 'PUT', '/managed-cases/{id}/payments/{paymentId}', `/managed-cases/${t2.id}/payments/00000000-0000-4000-8000-000000000000`, {
      key,
      body: { date: '2026-11-02', paymentAmount: 2, paymentRecipient: 'CollectionPartner' },
    });
    await expectStatus(204, 'DELETE', '/managed-cases/{id}/payments/{paymentId}', `/managed-cases/${t2.id}/payments/${mp.paymentId}`, { key });
    await expectStatus(404, 'DELETE', '/managed-cases/{id}/payments/{paymentId}', `/managed-cases/${t2.id}/payments/${mp.paymentId}`, { key });
    await expectStatus(200, 'POST', '/test/cases/{id}/advance', `/test/cases/${t1.id}/advance`, { key, body: { to: 'Closed:Paid', amount: 10.125 } });
    await expectStatus(400, 'POST', '/test/cases/{id}/advance', `/test/cases/${b.id}/advance`, { key, body: { to: 'Closed:NoPayment' } });
    // webhook testing (SPEC §10): fired events and their envelopes, the replay of the newest
    const fire = '/test/webhooks/fire';
    const unknownId = '00000000-0000-4000-8000-000000000000';
    await expectStatus(404, 'POST', '/test/cases/{id}/replay-last-event', `/test/cases/${unknownId}/replay-last-event`, { key });
    for (const event of ['case.updated', 'case.closed', 'payment.created', 'payment.updated'])
      await expectStatus(200, 'POST', fire, fire, { key, body: { event, caseId: t1.id, subscriptionId: testHook.id } });
    await expectStatus(422, 'POST', fire, fire, { key, body: { event: 'payment.deleted', caseId: t1.id } });
    const [paidT1] = (await expectStatus(200, 'GET', '/cases/{id}/payments', `/cases/${t1.id}/payments`, { key })) as Json[];
    await expectStatus(204, 'DELETE', '/cases/{id}/payments/{paymentId}', `/cases/${t1.id}/payments/${paidT1.id}?reopenCaseIfNeeded=true`, { key });
    await expectStatus(200, 'POST', fire, fire, { key, body: { event: 'payment.deleted', caseId: t1.id }, headers: { 'Idempotency-Key': 'openapi-fire' } });
    await expectStatus(422, 'POST', fire, fire, { key, body: { event: 'case.closed', caseId: t1.id }, headers: { 'Idempotency-Key': 'openapi-fire' } });
    await expectStatus(400, 'POST', fire, fire, { key, body: { event: 'case.updated', caseId: b.id } });
    await expectStatus(404, 'POST', fire, fire, { key, body: { event: 'case.updated', caseId: unknownId } });
    await expectStatus(404, 'POST', fire, fire, { key, body: { event: 'case.updated', caseId: t1.id, subscriptionId: unknownId } });
    const fired = (await expectStatus(200, 'GET', '/webhooks/events', `/webhooks/events?caseId=${t1.id}`, { key })) as Json[];
    expect(new Set(fired.map((d) => d.eventType)).size).toBe(hook.events.length);
    for (const d of fired)
      matches(
        doc.webhooks[d.eventType as string]!.post.requestBody.content['application/json']!.schema,
        JSON.parse(d.payload as string),
        `fired webhook ${d.eventType}`,
      );
    await expectStatus(200, 'POST', '/test/cases/{id}/replay-last-event', `/test/cases/${t1.id}/replay-last-event`, { key });
    await expectStatus(400, 'POST', '/test/cases/{id}/replay-last-event', `/test/cases/${b.id}/replay-last-event`, { key });
    await expectStatus(204, 'DELETE', '/test/cases/{id}', `/test/cases/${t1.id}`, { key });
    await expectStatus(404, 'DELETE', '/test/cases/{id}', `/test/cases/${t1.id}`, { key });
    await expectStatus(200, 'POST', '/managed-cases', '/managed-cases', { key, body: managed });
    await expectStatus(204, 'DELETE', '/test/cases', '/test/cases?tag=openapi-int', { key });
    await expectStatus(400, 'DELETE', '/test/cases', '/test/cases', { key });

    // dead letters (issue 11): a poison message parked by the follow-up's timer consumer, listed, retried
    const poison = `openapi poison ${Date.now()}`;
    const poisonBus = new KafkaBus({ brokers: inject('kafkaBrokers').split(','), clientId: 'openapi-int', logger: createLogger('openapi-int', 'silent') });
    await poisonBus.publish([{ topic: 'reminder-schedule', key: `openapi-${Date.now()}`, value: poison }]).finally(() => poisonBus.close());
    const parked = await pollUntil(
      async () => ((await call('GET', '/admin/dead-letters?service=follow-up', { key: ADMIN })).body as Json[]).find((d) => d.value === poison),
      { timeoutMs: 30_000, what: 'a dead letter' },
    );
    await expectStatus(200, 'GET', '/admin/dead-letters', '/admin/dead-letters?status=Parked&limit=5', { key: ADMIN });
    await expectStatus(400, 'GET', '/admin/dead-letters', '/admin/dead-letters?service=ledger', { key: ADMIN });
    await expectStatus(200, 'POST', '/admin/dead-letters/{id}/retry', `/admin/dead-letters/${parked.id}/retry`, { key: ADMIN });
    await expectStatus(404, 'POST', '/admin/dead-letters/{id}/retry', '/admin/dead-letters/00000000-0000-4000-8000-000000000000/retry', { key: ADMIN });

    // every operation of the document answered a 2xx that matched it
    const operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.filter((o) => !succeeded.has(o))).toEqual([]);
    expect(checked.size).toBeGreaterThanOrEqual(55);
  });
});

describe('GET /docs', () => {
  beforeAll(() => ensureChromium(), 600_000);

  /** Collects what must not happen on the page: console errors and warnings (a CSP refusal is one), page errors, requests elsewhere. */
  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => !r.url().startsWith(stack.gatewayUrl) && problems.push(`external request: ${r.url()}`));
    return problems;
  }

  it('renders every operation, webhook event and schema with Swagger UI under its own strict CSP, loading nothing from elsewhere', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await (await browser.newContext()).newPage();
      const problems = watch(page);
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP refused ' + e.violatedDirective + ': ' + e.blockedURI))",
      });
      await page.goto(`${stack.gatewayUrl}/docs`);
      await page.waitForSelector('body[data-ready]');
      expect(await page.getAttribute('body', 'data-ready')).toBe('true');
      const operations = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
      const shown = await page.$$eval('.opblock:not(.webhooks .opblock) .opblock-summary-operation-id', (n) => n.map((e) => e.textContent ?? ''));
      expect(shown.sort()).toEqual(operations.sort());
      expect(await page.locator('.webhooks .opblock').count()).toBe(Object.keys(doc.webhooks).length);
      const schemas = await page.$$eval('.models article[data-json-schema-level="0"] > .json-schema-2020-12-head .json-schema-2020-12__title', (n) =>
        n.map((e) => e.textContent ?? ''),
      );
      expect(schemas.sort()).toEqual(Object.keys(doc.components.schemas).sort());
      // one operation opened: its path, parameters, body, rules, response schemas and statuses
      const record = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-operation-id', { hasText: /^recordPayment$/ }) });
      await record.locator('.opblock-summary-control').click();
      await record.locator('.opblock-body').waitFor();
      for (const tab of await record.locator('button[data-name="model"]').all()) await tab.click();
      const text = await record.innerText();
      for (const part of ['/cases/{id}/payments', 'Idempotency-Key', 'paymentAmount', 'commissionPaymentStatus is required', 'PaymentRecorded', '429'])
        expect(text).toContain(part);
      // the filter narrows the operations to a tag
      await page.fill('.operation-filter-input', 'Payments');
      await page.locator('.opblock-tag[data-tag="Operator"]').waitFor({ state: 'detached' });
      const payments = Object.values(doc.paths).flatMap((item) => Object.values(item).filter((o) => (o as { tags?: string[] }).tags?.includes('Payments')));
      expect(payments.length).toBeGreaterThan(3);
      for (const o of payments)
        expect(await page.locator('.opblock-summary-operation-id:visible', { hasText: new RegExp(`^${o.operationId}$`) }).count(), o.operationId).toBe(1);
      await page.fill('.operation-filter-input', '');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('has no serious or critical accessibility problem (axe-core)', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      // CSP bypassed only so that axe-core can be injected; the page under its own CSP is the test above
      const page = await (await browser.newContext({ bypassCSP: true })).newPage();
      const problems = watch(page);
      await page.goto(`${stack.gatewayUrl}/docs`);
      await page.waitForSelector('body[data-ready]');
      await page.addScriptTag({ content: AXE_SOURCE });
      const violations = (await page.evaluate(
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.help))`,
      )) as string[];
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

/** Maven and a JDK run the generated client; the machine the tests run on has both (README). */
const JAVA_TOOLS = spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status === 0 && spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
if (!JAVA_TOOLS) console.warn('SKIPPED: the generated Java client test needs `mvn` and `java` on PATH (Java 17 + Maven)');
/** The steps of tools/java-client's Driver, in order: each prints `STEP ok <name>` once it passed. */
const JAVA_STEPS = [
  'me',
  'case',
  'caseByReference',
  'listCases',
  'listCasesByDebtor',
  'createWebhook',
  'readWebhooks',
  'recordPayment',
  'recordPaymentWithKey',
  'listPayments',
  'editPayment',
  'deletePayment',
  'updateFees',
  'closeCase',
  'timeline',
  'webhookEvents',
  'deleteWebhook',
  'createManagedCase',
  'readManagedCases',
  'listCasesByIdsSorted',
  'managedPayments',
  'managedPaymentsOnProductionCase',
  'createTestWebhook',
  'fireWebhook',
  'replayLastEvent',
  'deleteTestWebhook',
  'advanceTestCase',
  'deleteTestCases',
];

describe.skipIf(!JAVA_TOOLS)('a client generated from the original API document (issue 13)', () => {
  it("OpenAPI Generator's Java client (native, Jackson) drives the payment flow and reads every answer", { timeout: 660_000 }, async () => {
    // setup through the operator API, which the original's document does not have
    const partner = (await call('POST', '/admin/partners', { key: ADMIN, body: { companyName: 'Java Client Partner', officeEmail: 'java@example.test' } }))
      .body as Json;
    // DebtorIds (SPEC §10) may not be served yet: the driver filters by it only once the gateway declares it
    const debtorIdsServed = doc.paths['/cases']?.get?.parameters?.some((p) => p.name === 'DebtorIds') === true;
    const debtorId = randomUUID();
    const created = await call('POST', '/admin/cases', {
      key: ADMIN,
      body: {
        partnerId: partner.id,
        currency: 'EUR',
        grossAmount: 1000,
        successFee: 20,
        date: '2024-04-01',
        dueDate: '2024-05-01',
        creditor: { companyName: 'Java Creditor', officeEmail: 'creditor@java.test' },
        debtor: { type: 'Company', name: 'Java Debtor', id: debtorId },
      },
    });
    expect(created.status, created.text).toBe(201);
    const project = nodePath.resolve(__dirname, '../../../tools/java-client');
    const args = [
      '-q',
      '-B',
      '-f',
      nodePath.join(project, 'pom.xml'),
      'compile',
      'exec:java',
      `-Dpp.baseUrl=${stack.gatewayUrl}`,
      `-Dpp.apiKey=${String(partner.apiKey)}`,
      `-Dpp.caseId=${String(created.body.id)}`,
      `-Dpp.debtorId=${debtorId}`,
      `-Dpp.debtorIdsServed=${debtorIdsServed}`,
      '-Dpp.webhookUrl=http://127.0.0.1:9/java-hook',
    ];
    // bounded: the first run on a machine downloads the generator and the client's dependencies from Maven Central
    const run = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((resolve) => {
      execFile('mvn', args, { cwd: project, timeout: 600_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? (error.code ?? error.signal ?? 'failed') : 0, stdout, stderr }),
      );
    });
    const output = `${run.stdout}\n${run.stderr}`.slice(-8000);
    expect(run.code, output).toBe(0);
    const passed = run.stdout.split('\n').flatMap((line) => (line.startsWith('STEP ok ') ? [line.slice('STEP ok '.length).trim()] : []));
    expect(passed, output).toEqual(JAVA_STEPS.filter((s) => debtorIdsServed || s !== 'listCasesByDebtor'));
    expect(run.stdout, output).toContain('DONE');
  });
});
