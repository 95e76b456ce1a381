// GET /openapi.json: the OpenAPI 3.1 document of the REST contract, generated from the declarations of
// ./api — the same field shapes that validate the requests — and GET /docs, which renders it. Every
// route the gateway serves must have a declaration and every declaration a route: otherwise the
// gateway does not start (assertDocumented).
import type { FastifyInstance } from 'fastify';
import { HEADERS, operations, SCHEMAS, UNDOCUMENTED, type Operation, type ResponseSpec } from './api';
import { registerDocs } from './docs-page';
import { fieldSchema, isRequired, objectSchema, type JsonSchema, type Shape } from './schema';

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

const key = (method: string, url: string) => `${method.toUpperCase()} ${url}`;

/** The served routes without a declaration, and the declarations without a route. */
export function undocumentedRoutes(routes: readonly RouteEntry[]): { undocumented: string[]; unserved: string[] } {
  const served = new Set(routes.filter((r) => !UNDOCUMENTED(r.method, r.url)).map((r) => key(r.method, r.url)));
  const declared = new Set(operations().map((o) => key(o.method, o.path)));
  return { undocumented: [...served].filter((k) => !declared.has(k)), unserved: [...declared].filter((k) => !served.has(k)) };
}

export function assertDocumented(routes: readonly RouteEntry[]): void {
  const { undocumented, unserved } = undocumentedRoutes(routes);
  const problems = [
    ...undocumented.map((r) => `${r} is served but has no declaration in http/api.ts`),
    ...unserved.map((r) => `${r} is declared in http/api.ts but not served`),
  ];
  if (problems.length > 0) throw new Error(`The OpenAPI document does not match the routes: ${problems.join('; ')}`);
}

const TAGS = [
  { name: 'Operator', description: 'The operator API (SPEC §2), with the operator key ADMIN_API_KEY in XApiKey.' },
  { name: 'Cases', description: 'Cases, their audit trail and closing (SPEC §3).' },
  { name: 'Payments', description: 'Record, list, correct and delete payments; commission settlement (SPEC §4).' },
  { name: 'Follow-up', description: 'Unpaid-commission follow-up: tasks and sent mail (SPEC §5).' },
  { name: 'Webhooks', description: 'Subscriptions and the delivery log (SPEC §6). The events themselves are under `webhooks`.' },
  { name: 'Test cases', description: 'Test cases a partner creates, advances and deletes (SPEC §7).' },
  { name: 'Partner', description: 'The caller (SPEC §8).' },
  { name: 'Operations', description: 'Health, readiness, metrics and this document (SPEC §8); no key needed.' },
];

const DESCRIPTION = [
  'Record, split, correct and follow up on the payments that collection partners recover from debtors.',
  '',
  '- **Authentication**: header `XApiKey`. Partner endpoints take a partner key; `/admin/*` takes the operator key. Missing or unknown key → 401 with an RFC 9457 body; a partner key on `/admin/*` → 403.',
  "- **Isolation**: a partner never sees another partner's data: anything not theirs answers 404, as if it did not exist.",
  '- **Money**: JSON numbers in major units (`1250.5` = 1,250.50); more decimals than the currency has (EUR 2, JPY 0, KWD 3) → 400. A payment is always in the currency of its case.',
  '- **Dates**: `date` fields are calendar dates `YYYY-MM-DD` (a full ISO date-time is accepted and cut to its date); timestamps are ISO 8601 UTC.',
  '- **Errors**: every 4xx/5xx except 401/403 has the `ErrorBody` shape; `type` is a stable code, `field` names the offending field on validation errors (one entry per problem). A 5xx carries an `errorId` that appears in the server log.',
  '- **Idempotency**: `POST /cases/{id}/payments`, `POST /managed-cases` and `POST /webhooks` take an optional `Idempotency-Key`; the same key and body replay the stored answer with `Idempotency-Replayed: true`.',
  '- **Rate limit** per key (`RATE_LIMIT_PER_MINUTE`, default 2000, in fixed one-minute windows, across every gateway replica) → 429 with `Retry-After`. Every answer to a request with a known key carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`. Missing or unknown keys are limited per client address to the same number a minute.',
  "- **Request-Id**: every answer, of every status (401, 404, 429 and 5xx included), carries a `Request-Id` header: the caller's `x-request-id` when it is 1–128 visible ASCII characters, else a UUID the gateway made. It is the id of the request in the gateway's log lines; a 5xx's `errorId` is logged with it.",
  '- **Pagination**: `GET /cases`, `/admin/partners`, `/admin/audit` and `/admin/invoices` answer one page (`Page` from 1, `PageSize` default 10, max 100). `GET /cases/{id}/payments`, `/cases/{id}/audit`, `/tasks` and `/webhooks/events` answer their whole array as before unless `Page` or `PageSize` is sent, and then one page object.',
  '- **Read-your-writes**: once a write has answered 2xx, every later read shows it. Webhooks, tasks and emails follow asynchronously, at least once.',
].join('\n');

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Request-Id, on every answer (server.ts sets it in an onSend hook, so no answer escapes it). */
const requestIdHeader = (): Record<string, JsonSchema> => ({ 'Request-Id': { $ref: '#/components/headers/RequestId' } });
const withRequestId = (r: JsonSchema): JsonSchema => (r.$ref ? r : { ...r, headers: { ...requestIdHeader(), ...(r.headers as object | undefined) } });

/** The RateLimit-* headers, sent on every answer to a request with a known key. */
function rateLimitHeaderRefs(): Record<string, JsonSchema> {
  return {
    'RateLimit-Limit': { $ref: '#/components/headers/RateLimitLimit' },
    'RateLimit-Remaining': { $ref: '#/components/headers/RateLimitRemaining' },
    'RateLimit-Reset': { $ref: '#/components/headers/RateLimitReset' },
    'RateLimit-Policy': { $ref: '#/components/headers/RateLimitPolicy' },
  };
}

const COMMON_RESPONSES: Record<string, JsonSchema> = Object.fromEntries(
  Object.entries({
    ValidationError: {
      description:
        'ValidationError: malformed JSON, a missing field, a wrong type, an unknown enum value, an amount with too many decimals, an oversize string … one entry per problem, `field` naming it.',
      content: {
        'application/json': { schema: { allOf: [schemaRef('ErrorBody'), { type: 'object', properties: { error: { enum: ['ValidationError'] } } }] } },
      },
    },
    Unauthorized: { description: 'A missing or unknown XApiKey (RFC 9457 body)', content: { 'application/json': { schema: schemaRef('Problem') } } },
    Forbidden: { description: 'A partner key on the operator API (RFC 9457 body)', content: { 'application/json': { schema: schemaRef('Problem') } } },
    RateLimited: {
      description: 'Rate limit exceeded',
      headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' }, ...rateLimitHeaderRefs() },
      content: { 'application/json': { schema: schemaRef('RateLimited') } },
    },
    ServerError: {
      description: 'InternalError (500) or ServiceUnavailable (503); the body carries an errorId that appears in the server log, never internals.',
      content: { 'application/json': { schema: schemaRef('ErrorBody') } },
    },
  } as Record<string, JsonSchema>).map(([name, r]) => [name, withRequestId(r)]),
);

function response(r: ResponseSpec): JsonSchema {
  return {
    description: r.description,
    ...(r.headers
      ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: h.schema }])) }
      : {}),
    ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
    ...(r.content ? { content: { [r.content.type]: { schema: r.content.schema } } } : {}),
  };
}

function queryParameters(shape: Shape): JsonSchema[] {
  return Object.entries(shape).map(([name, s]) => {
    const { description, ...schema } = fieldSchema(s);
    return {
      name,
      in: 'query',
      required: isRequired(s),
      ...(description ? { description } : {}),
      schema,
      ...(schema.type === 'array' ? { style: 'form', explode: true } : {}),
    };
  });
}

function operationObject(o: Operation<Shape, Shape>): JsonSchema {
  const path = o.path.replace(/:(\w+)/g, '{$1}');
  const parameters: JsonSchema[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    description: `${o.params?.[m[1] ?? ''] ?? m[1]} (a UUID; anything else answers 404)`,
    schema: { type: 'string', format: 'uuid' },
  }));
  if (o.idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  if (o.query) parameters.push(...queryParameters(o.query));
  if (o.queryFailFast)
    parameters.forEach(
      (p) => p.in === 'query' && (p.description = [p.description, 'A bad value answers 400 at once (the first bad parameter only).'].filter(Boolean).join(' ')),
    );

  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(o.responses)) responses[status] = withRequestId(response(r));
  if (o.auth !== 'public')
    for (const [status, r] of Object.entries(responses))
      if (status.startsWith('2')) r.headers = { ...(r.headers as object | undefined), ...rateLimitHeaderRefs() };
  const takesInput = o.body !== undefined || o.query !== undefined || o.idempotent === true;
  if (takesInput && !responses['400']) responses['400'] = { $ref: '#/components/responses/ValidationError' };
  if (o.auth !== 'public') {
    responses['401'] = { $ref: '#/components/responses/Unauthorized' };
    if (o.auth === 'admin') responses['403'] = { $ref: '#/components/responses/Forbidden' };
    responses['429'] = { $ref: '#/components/responses/RateLimited' };
    responses['5XX'] = { $ref: '#/components/responses/ServerError' };
  }

  let requestBody: JsonSchema | undefined;
  if (o.body) {
    const schema = objectSchema(o.body);
    const withRules = o.bodyRules?.length ? { ...schema, allOf: o.bodyRules.map((r) => ({ ...r })) } : schema;
    requestBody = { required: o.bodyOptional !== true, content: { 'application/json': { schema: withRules } } };
  }
  return {
    operationId: o.operationId,
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    tags: [o.tag],
    security: o.auth === 'public' ? [] : o.auth === 'admin' ? [{ AdminApiKey: [] }] : [{ XApiKey: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

const WEBHOOK_EVENTS_DOC: Record<string, { summary: string; data: string }> = {
  'case.updated': { summary: 'A case lifecycle changed (closed, reopened)', data: 'CaseUpdatedData' },
  'case.closed': { summary: 'A case closed', data: 'CaseClosedData' },
  'payment.created': { summary: 'A payment was recorded', data: 'PaymentEventData' },
  'payment.updated': { summary: 'A payment was corrected or its commission settled', data: 'PaymentEventData' },
  'payment.deleted': { summary: 'A payment was deleted', data: 'PaymentDeletedData' },
};

function webhookObject(event: string, doc: { summary: string; data: string }): JsonSchema {
  const header = (name: string, description: string, schema: JsonSchema = { type: 'string' }, required = true) => ({
    name,
    in: 'header',
    required,
    description,
    schema,
  });
  return {
    post: {
      operationId: `webhook.${event}`,
      summary: doc.summary,
      description:
        'Sent by the platform to each matching subscription: POST, 10 s timeout, Standard Webhooks signature. 2xx = delivered; anything else (3xx too) = failed and retried by WEBHOOK_RETRY_SCHEDULE. 410 disables the subscription at once. Test-case events go only to isTestMode subscriptions, production events only to the others.',
      tags: ['Webhooks'],
      parameters: [
        header('webhook-id', 'The envelope id, the same on every retry'),
        header('webhook-timestamp', 'Unix seconds of the attempt', { type: 'string', pattern: '^\\d+$' }),
        header(
          'webhook-signature',
          'v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>, key = the base64-decoded secret after whsec_',
          { type: 'string', pattern: '^v1,' },
        ),
        header('webhook-replay', 'true on a replay (POST /webhooks/events/{id}/replay)', { type: 'string', enum: ['true'] }, false),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { allOf: [schemaRef('WebhookEnvelope'), { type: 'object', properties: { event: { const: event }, data: schemaRef(doc.data) } }] },
          },
        },
      },
      responses: {
        '2XX': { description: 'Delivered' },
        '410': { description: 'Gone: the subscription is disabled at once' },
        default: { description: 'Failed: retried by the schedule' },
      },
    },
  };
}

/** The whole OpenAPI 3.1 document. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const o of operations()) {
    const path = o.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][o.method.toLowerCase()] = operationObject(o);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: { title: 'Partner Payments API', version: '1.0.0', description: DESCRIPTION },
    tags: TAGS,
    security: [{ XApiKey: [] }],
    paths,
    webhooks: Object.fromEntries(Object.entries(WEBHOOK_EVENTS_DOC).map(([event, doc]) => [event, webhookObject(event, doc)])),
    components: {
      securitySchemes: {
        XApiKey: { type: 'apiKey', in: 'header', name: 'XApiKey', description: 'A partner API key (POST /admin/partners shows it once).' },
        AdminApiKey: { type: 'apiKey', in: 'header', name: 'XApiKey', description: 'The operator key: the ADMIN_API_KEY of the deployment.' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Scope: the partner. The first request runs and its final answer is stored ≥ 24 h; the same key with the same body and path answers the stored response with Idempotency-Replayed: true; another body or path → 422 IdempotencyConflict; while the first still runs → 409 IdempotencyKeyInUse with Retry-After. 400 answers are not stored.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      headers: {
        RequestId: HEADERS.requestId,
        RetryAfter: HEADERS.retryAfter,
        IdempotencyReplayed: HEADERS.replayed,
        RateLimitLimit: HEADERS.rateLimitLimit,
        RateLimitRemaining: HEADERS.rateLimitRemaining,
        RateLimitReset: HEADERS.rateLimitReset,
        RateLimitPolicy: HEADERS.rateLimitPolicy,
      },
      responses: COMMON_RESPONSES,
      schemas: SCHEMAS,
    },
  };
}

const SERVED = new WeakMap<FastifyInstance, readonly RouteEntry[]>();

/** The routes an app serves (every method and URL Fastify registered, HEAD included). */
export const servedRoutes = (app: FastifyInstance): readonly RouteEntry[] => SERVED.get(app) ?? [];

export function registerOpenApi(app: FastifyInstance, routes: readonly RouteEntry[]): void {
  SERVED.set(app, routes);
  let document: string | undefined;
  app.get('/openapi.json', async (_req, reply) => {
    document ??= JSON.stringify(openApiDocument());
    return reply.type('application/json; charset=utf-8').send(document);
  });
  registerDocs(app);
  // Every served route has its declaration (and no declaration lacks its route), checked once all are registered.
  app.addHook('onReady', async () => assertDocumented(routes));
}
