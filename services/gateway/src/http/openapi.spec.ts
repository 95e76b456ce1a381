// Issue 6: GET /openapi.json is an OpenAPI 3.1 document of every route the gateway serves, generated
// from the same declarations that validate the requests; GET /docs renders it without external assets.
// The gateway is built in memory (no database, no services: these routes touch neither).
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLogger, Metrics } from '@pp/platform';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseCurrencies } from '../app/case-currencies';
import { operations } from './api';
import type { GatewayContext } from './context';
import { DOCS_CSP, swaggerUiDir } from './docs-page';
import { assertDocumented, servedRoutes, undocumentedRoutes } from './openapi';
import type { JsonSchema } from './schema';
import { buildServer } from './server';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        parameters?: JsonSchema[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, JsonSchema>;
      }
    >
  >;
  webhooks: Record<string, Record<string, { requestBody: { content: Record<string, { schema: JsonSchema }> }; parameters: JsonSchema[] }>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, JsonSchema>; parameters: Record<string, JsonSchema> };
};

function stubContext(): GatewayContext {
  // Only what building the server and answering the public documentation routes use.
  return {
    db: {},
    logger: createLogger('gateway', 'silent'),
    ledger: {},
    cases: {},
    followUp: {},
    adminApiKey: 'admin',
    currencies: new CaseCurrencies(),
    metrics: new Metrics('gateway'),
  } as unknown as GatewayContext;
}

let app: FastifyInstance;
let doc: Doc;

beforeAll(async () => {
  app = buildServer(stubContext(), 1000);
  await app.ready(); // checks that every route is declared
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = res.json<Doc>();
});

afterAll(async () => {
  await app?.close();
});

const COMPONENTS = 'https://partner-payments.test/components';

/** Points the document's component references at one Ajv schema holding them as $defs. */
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

function newAjv(d: Doc) {
  // strict, except that a rule's `then: {required}` may name a property declared beside it (allOf)
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: COMPONENTS, $defs: forAjv(d.components.schemas) });
  return ajv;
}

const resolve = <T>(d: Doc, node: T): T => {
  const ref = (node as { $ref?: string }).$ref;
  if (!ref) return node;
  const [, , kind, name] = ref.split('/');
  return (d.components as unknown as Record<string, Record<string, T>>)[kind!]![name!]!;
};

/** `METHOD /path/{param}` of a Fastify route. */
const opKey = (method: string, url: string) => `${method.toUpperCase()} ${url.replace(/:(\w+)/g, '{$1}')}`;

describe('GET /openapi.json', () => {
  it('validates as OpenAPI 3.1', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Parameters<typeof validator.validate>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('holds only valid JSON Schema 2020-12 (strict), every reference resolving', () => {
    const ajv = newAjv(doc);
    const schemas: [string, JsonSchema][] = Object.entries(doc.components.schemas).map(([name, s]) => [`components.schemas.${name}`, s]);
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${p}`;
        for (const param of o.parameters ?? []) schemas.push([`${where} parameter`, resolve(doc, param).schema as JsonSchema]);
        for (const [type, c] of Object.entries(o.requestBody?.content ?? {})) schemas.push([`${where} body ${type}`, c.schema]);
        for (const [status, r] of Object.entries(o.responses)) {
          const response = resolve(doc, r) as { content?: Record<string, { schema: JsonSchema }> };
          for (const [type, c] of Object.entries(response.content ?? {})) schemas.push([`${where} ${status} ${type}`, c.schema]);
        }
      }
    }
    for (const [event, item] of Object.entries(doc.webhooks))
      for (const c of Object.values(item.post!.requestBody.content)) schemas.push([`webhook ${event}`, c.schema]);
    expect(schemas.length).toBeGreaterThan(100);
    for (const [where, schema] of schemas) expect(() => ajv.compile(forAjv(schema) as object), where).not.toThrow();
  });

  it('covers every route the gateway serves, with request schemas and response schemas', () => {
    // the Portal's static files and the /docs page's files are not API operations
    const served = servedRoutes(app).filter((r) => r.method !== 'HEAD' && r.url !== '/portal' && !r.url.startsWith('/portal/') && r.url !== '/docs/*');
    expect(served.length).toBeGreaterThanOrEqual(30);
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)));
    expect([...new Set(served.map((r) => opKey(r.method, r.url)))].sort()).toEqual([...documented].sort());

    // What takes input, independently of the declarations (SPEC §2–§8).
    const withoutBody = new Set([
      'POST /webhooks/events/{id}/replay',
      'POST /admin/dead-letters/{id}/retry',
      'POST /test/cases/{id}/replay-last-event',
      'POST /admin/partners/{id}/keys',
      'POST /me/keys',
    ]);
    const withQuery = new Set([
      'GET /cases',
      'GET /managed-cases',
      'GET /cases/{id}/payments',
      'GET /cases/{id}/audit',
      'DELETE /cases/{id}/payments/{paymentId}',
      'GET /managed-cases/{id}/payments',
      'DELETE /managed-cases/{id}/payments/{paymentId}',
      'GET /tasks',
      'GET /mail',
      'GET /webhooks/events',
      'GET /webhooks/events/stream',
      'DELETE /test/cases',
      'GET /admin/dead-letters',
      'GET /admin/partners',
      'GET /admin/audit',
      'GET /admin/invoices',
      'GET /commissions/owed',
      'GET /commissions/owed/export',
      'GET /payments/export',
    ]);
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${p}`;
        const takesBody = (method === 'post' || method === 'put' || method === 'patch') && !withoutBody.has(key);
        expect(Boolean(o.requestBody), `${key} request body`).toBe(takesBody);
        if (takesBody) expect(o.requestBody!.content['application/json']!.schema.properties, key).toBeTruthy();
        const query = (o.parameters ?? []).map((x) => resolve(doc, x)).filter((x) => x.in === 'query');
        expect(query.length > 0, `${key} query parameters`).toBe(withQuery.has(key));
        for (const [name] of p.matchAll(/\{(\w+)\}/g))
          expect(
            (o.parameters ?? []).some((x) => x.in === 'path' && `{${String(x.name)}}` === name),
            `${key} ${name}`,
          ).toBe(true);
        const success = Object.entries(o.responses).filter(([status]) => status.startsWith('2'));
        expect(success.length, `${key} success response`).toBeGreaterThan(0);
        for (const [status, r] of success) {
          const response = resolve(doc, r) as { content?: Record<string, { schema: JsonSchema }> };
          if (status !== '204')
            expect(
              Object.values(response.content ?? {}).every((c) => c.schema),
              `${key} ${status} schema`,
            ).toBe(true);
          if (status !== '204') expect(Object.keys(response.content ?? {}).length, `${key} ${status} content`).toBeGreaterThan(0);
        }
        if (key.startsWith('GET /healthz') || ['/readyz', '/metrics', '/openapi.json', '/docs'].includes(p)) continue;
        expect(o.responses['401'], `${key} 401`).toBeTruthy();
        expect(o.responses['429'], `${key} 429`).toBeTruthy();
        if (p.startsWith('/admin/')) expect(o.responses['403'], `${key} 403`).toBeTruthy();
        if (o.requestBody || query.length > 0) expect(o.responses['400'], `${key} 400`).toBeTruthy();
      }
    }
  });

  it('documents the headers and the key', () => {
    const params = (p: string, m: string) => (doc.paths[p]![m]!.parameters ?? []).map((x) => resolve(doc, x).name);
    for (const [p, m] of [
      ['/cases/{id}/payments', 'post'],
      ['/managed-cases', 'post'],
      ['/webhooks', 'post'],
    ] as const) {
      expect(params(p, m)).toContain('Idempotency-Key');
      const ok = resolve(doc, Object.entries(doc.paths[p]![m]!.responses).find(([s]) => s.startsWith('2'))![1]) as { headers?: Record<string, unknown> };
      expect(Object.keys(ok.headers ?? {})).toContain('Idempotency-Replayed');
    }
    const limited = resolve(doc, doc.paths['/cases']!.get!.responses['429']!) as { headers: Record<string, unknown> };
    expect(Object.keys(limited.headers)).toContain('Retry-After');
    const rateLimitHeaders = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];
    expect(Object.keys(limited.headers)).toEqual(expect.arrayContaining(rateLimitHeaders));
    const listed = resolve(doc, doc.paths['/cases']!.get!.responses['200']!) as { headers?: Record<string, unknown> };
    expect(Object.keys(listed.headers ?? {})).toEqual(expect.arrayContaining(rateLimitHeaders));
    const health = resolve(doc, doc.paths['/healthz']!.get!.responses['200']!) as { headers?: Record<string, unknown> };
    expect(Object.keys(health.headers ?? {})).not.toContain('RateLimit-Limit');
    const schemes = (doc.components as unknown as { securitySchemes: Record<string, { in: string; name: string }> }).securitySchemes;
    expect(Object.values(schemes).every((s) => s.in === 'header' && s.name === 'XApiKey')).toBe(true);
    expect(Object.keys(doc.webhooks).sort()).toEqual(['case.closed', 'case.updated', 'payment.created', 'payment.deleted', 'payment.updated']);
  });
});

describe('a route without a declaration', () => {
  it('stops the gateway from starting', async () => {
    const extra = buildServer(stubContext(), 1000);
    extra.get('/cases/:id/undocumented', async () => ({}));
    await expect(extra.ready()).rejects.toThrow('GET /cases/:id/undocumented is served but has no declaration in http/api.ts');
    await extra.close().catch(() => undefined);
  });

  it('is reported, and so is a declaration without a route', () => {
    const served = [...servedRoutes(app)];
    expect(undocumentedRoutes(served)).toEqual({ undocumented: [], unserved: [] });
    expect(() => assertDocumented([...served, { method: 'POST', url: '/cases/:id/archive' }])).toThrow(
      'POST /cases/:id/archive is served but has no declaration',
    );
    expect(() => assertDocumented(served.filter((r) => r.url !== '/tasks'))).toThrow('GET /tasks is declared in http/api.ts but not served');
    // the Portal's static files, the /docs page's files and HEAD need no declaration
    expect(() =>
      assertDocumented([...served, { method: 'GET', url: '/portal/*' }, { method: 'GET', url: '/docs/*' }, { method: 'HEAD', url: '/cases' }]),
    ).not.toThrow();
  });

  it('no handler reads the body or query around its declaration', () => {
    const dir = path.join(__dirname, 'routes');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const direct = [...source.matchAll(/req\.(body|query)\b/g)].filter((m) => !/read(Body|Query)\($/.test(source.slice(Math.max(0, m.index - 10), m.index)));
      expect(direct.map((m) => `${file}: ${source.slice(m.index - 30, m.index + 15)}`)).toEqual([]);
    }
  });
});

describe('the declarations validate what the document says', () => {
  // A valid body of every operation that takes one (as in test/validation.int.spec.ts).
  const ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
  const VALID: Record<string, Record<string, unknown>> = {
    createPartner: { companyName: 'Valid Co', officeEmail: 'valid@example.test', preLegalRevenueShare: 0.4, legalRevenueShare: 0.2 },
    createCase: {
      partnerId: ID,
      currency: 'EUR',
      grossAmount: 1000,
      interestFees: 0,
      reminderFees: 1.5,
      collectionFees: 0,
      successFee: 20.5,
      isTestCase: false,
      currentEngagementPhase: 'Pre-legal',
      creditorReference: 'CR-1',
      creditor: { companyName: 'Creditor Co', officeEmail: 'creditor@example.test' },
      debtor: { type: 'Person', name: 'Debtor' },
    },
    runInvoicing: { partnerId: ID },
    updatePartner: { companyName: 'Renamed Co', officeEmail: 'renamed@example.test', preLegalRevenueShare: 0.5, legalRevenueShare: 0.25, active: false },
    closeCase: { closeCode: 'Other', comment: 'fine' },
    updateCaseFees: { grossAmount: 1000, interestFees: 12.5, reminderFees: 0, collectionFees: 7, confirmPriceChange: false, keepIntentionalRate: true },
    recordPayment: {
      date: '2026-11-01',
      paymentAmount: 10,
      payoutCreditor: 8,
      payoutCollectionPartner: 2,
      paymentRecipient: 'Creditor',
      commissionPaymentStatus: 'Unpaid',
      closeCase: false,
      createUnpaidCommissionFollowUp: false,
    },
    updatePayment: {
      date: '2026-11-02T10:00:00Z',
      paymentAmount: 10,
      payoutCreditor: 8,
      payoutCollectionPartner: 2,
      paymentRecipient: 'CollectionPartner',
      commissionPaymentStatus: 'Paid',
      reopenCaseIfNeeded: true,
    },
    settleCommission: { status: 'Paid' },
    recordManagedCasePayment: { date: '2026-11-01', paymentAmount: 10, closeCase: true },
    updateManagedCasePayment: { date: '2026-11-02', paymentAmount: 10, paymentRecipient: 'CollectionPartner', reopenCaseIfNeeded: true },
    createTestCase: {
      isTest: true,
      currencyCode: 'EUR',
      date: '2026-11-01',
      creditorCompanyName: 'Creditor Co',
      tag: 'docs',
      debtor: { type: 'Company', name: 'Debtor Ltd' },
      amountToRecover: 500,
      interestFees: 0,
      reminderFees: 0,
      collectionFees: 0,
      successFee: 20,
      currentEngagementPhase: 'Legal',
      creditorReference: 'ref',
    },
    advanceTestCase: { to: 'Closed:Paid', amount: 500 },
    createWebhook: { url: 'https://example.test/hooks', events: ['case.closed', 'payment.created'], isTestMode: false },
    updateWebhook: { url: 'https://example.test/hooks', events: ['case.updated'], isActive: true, regenerateSecret: false },
    fireTestWebhook: { event: 'case.closed', caseId: ID, subscriptionId: ID },
  };
  /** Required by a rule the handler checks after the declared fields, not by the declaration. */
  const HANDLER_RULES = new Set(['createTestCase.isTest']);

  const withBody = operations().filter((o) => o.body);
  const bodySchema = (operationId: string) => {
    const o = operations().find((x) => x.operationId === operationId)!;
    return doc.paths[o.path.replace(/:(\w+)/g, '{$1}')]![o.method.toLowerCase()]!.requestBody!.content['application/json']!.schema;
  };
  const problemsOf = (operationId: string, body: unknown) => {
    const reader = operations()
      .find((x) => x.operationId === operationId)!
      .readBody(body);
    reader.rest({ currency: 'EUR' });
    return reader.fields.problems.map((p) => p.field ?? null);
  };
  /** Every (dotted) field of a body schema, with its schema. */
  const fieldsOf = (schema: JsonSchema, prefix = ''): [string, JsonSchema, boolean][] =>
    Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).flatMap(([name, s]) => [
      [`${prefix}${name}`, s, ((schema.required ?? []) as string[]).includes(name)] as [string, JsonSchema, boolean],
      ...(s.type === 'object' ? fieldsOf(s, `${prefix}${name}.`) : []),
    ]);
  const set = (body: Record<string, unknown>, field: string, value: unknown) => {
    const copy = structuredClone(body);
    const parts = field.split('.');
    let target = copy;
    for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
    if (value === undefined) delete target[parts.at(-1)!];
    else target[parts.at(-1)!] = value;
    return copy;
  };
  const dependentRequired = (schema: JsonSchema) =>
    Object.assign({}, ...((schema.allOf ?? []) as JsonSchema[]).map((r) => r.dependentRequired ?? {})) as Record<string, string[]>;
  const conditional = (schema: JsonSchema) =>
    ((schema.allOf ?? []) as JsonSchema[]).flatMap((r) => ((r.then as JsonSchema | undefined)?.required ?? []) as string[]);
  let validate: (operationId: string) => ValidateFunction;
  beforeAll(() => {
    const ajv = newAjv(doc);
    validate = (operationId) => ajv.compile(forAjv(bodySchema(operationId)) as object);
  });

  it('has a valid body for every operation that takes one', () => {
    expect(Object.keys(VALID).sort()).toEqual(withBody.map((o) => o.operationId).sort());
  });

  it.each(withBody.map((o) => [o.operationId]))('%s: a valid body passes both; a wrong type or a missing required field fails both', (operationId) => {
    const valid = VALID[operationId]!;
    const check = validate(operationId);
    expect(check(valid), JSON.stringify(check.errors)).toBe(true);
    expect(problemsOf(operationId, valid)).toEqual([]);
    for (const [field, schema, required] of fieldsOf(bodySchema(operationId))) {
      const wrong = set(valid, field, schema.type === 'object' ? 'text' : { wrong: true });
      expect(check(wrong), `${operationId} ${field}: wrong type accepted by the document`).toBe(false);
      expect(problemsOf(operationId, wrong), `${operationId} ${field}: wrong type`).toEqual([field]);
      if (!required) {
        // optional: leaving it out is fine (with the fields it must come with, a rule of the document),
        // unless a rule of the document requires it for this body (see the test of the rules below)
        if (conditional(bodySchema(operationId)).includes(field)) continue;
        const together = Object.entries(dependentRequired(bodySchema(operationId))).find(([k]) => k === field)?.[1] ?? [];
        const without = [field, ...together].reduce((b, f) => set(b, f, undefined), valid);
        expect(check(without), `${operationId} ${field} is optional`).toBe(true);
        expect(problemsOf(operationId, without), `${operationId} ${field} is optional`).toEqual([]);
        continue;
      }
      const missing = set(valid, field, undefined);
      expect(check(missing), `${operationId} ${field}: missing accepted by the document`).toBe(false);
      if (!HANDLER_RULES.has(`${operationId}.${field}`)) expect(problemsOf(operationId, missing), `${operationId} ${field}: missing`).toEqual([field]);
    }
    expect(check('not an object')).toBe(false);
    expect(problemsOf(operationId, 'not an object')[0]).toBeNull();
  });

  it('documents the rules across fields that the handlers check', () => {
    const record = validate('recordPayment');
    const withoutStatus = set(VALID.recordPayment!, 'commissionPaymentStatus', undefined);
    expect(record(withoutStatus)).toBe(false); // Creditor needs commissionPaymentStatus
    expect(record({ ...withoutStatus, paymentRecipient: 'Platform' })).toBe(true);
    expect(record(set(VALID.recordPayment!, 'payoutCreditor', undefined))).toBe(false); // both payouts or neither
    const advance = validate('advanceTestCase');
    expect(advance({ to: 'Closed:Paid' })).toBe(false);
    expect(advance({ to: 'Closed:NoPayment' })).toBe(true);
    expect(validate('createTestCase')({ ...VALID.createTestCase, isTest: false })).toBe(false);
  });
});

describe('GET /docs', () => {
  it('is a static page with no inline script, style or handler: its files are under /docs/, nothing from another origin', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.body;
    expect(html).not.toMatch(/https?:\/\//);
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/docs/swagger-ui-bundle.js" defer>', '<script src="/docs/docs.js" defer>']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.filter((r) => r !== '#swagger-ui' && r !== '/openapi.json' && r !== 'data:,')).toEqual([
      '/docs/swagger-ui.css',
      '/docs/docs.css',
      '/docs/swagger-ui-bundle.js',
      '/docs/docs.js',
    ]);
    // as strict as before: nothing inline is allowed, scripts and styles only from this origin
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the installed Swagger UI and our init file pointing it at /openapi.json; any other file is 404', async () => {
    const get = (name: string) => app.inject({ method: 'GET', url: `/docs/${name}` });
    const bundle = await get('swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    expect(bundle.rawPayload.equals(readFileSync(path.join(swaggerUiDir(), 'swagger-ui-bundle.js')))).toBe(true);
    expect(bundle.headers['content-security-policy']).toBe(DOCS_CSP);
    const css = await get('swagger-ui.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.body).toContain('.swagger-ui');
    expect(css.body).not.toContain('sourceMappingURL');
    const init = await get('docs.js');
    expect(init.headers['content-type']).toMatch(/^text\/javascript/);
    expect(init.body).toContain("url: '/openapi.json'");
    expect(init.body).toContain('validatorUrl: null'); // no badge fetched from the validator's site
    expect((await get('docs.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const name of ['index.html', 'swagger-initializer.js', 'swagger-ui-bundle.js.map', '']) expect((await get(name)).statusCode, name).toBe(404);
  });
});
