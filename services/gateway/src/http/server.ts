// The REST edge: authentication, rate limits, error bodies, and the route modules.
import { DomainError, validationError } from '@pp/domain';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { hashApiKey, sameSecret } from '../app/auth';
import { KeyInUse } from '../app/idempotency';
import { authenticate } from '../infra/partners.queries';
import type { GatewayContext } from './context';
import { drainRequest } from './drain';
import { bodyForDomainError, errorBody, errorIdOf, noteErrorId, problemDetails } from './errors';
import { registerOpenApi } from './openapi';
import { isPortalPath, portalRoutes } from './portal';
import { TOO_DEEP_MESSAGE, tooDeep } from './json';
import { notFoundUnlessOwned } from './ownership';
import { createRateLimits, rateLimitHeaders, tooManyRequests } from './rate-limit';
import { auditOperatorWrites } from './operator-audit';
import { adminRoutes } from './routes/admin';
import { partnerRoutes } from './routes/partners';
import { eventStreamRoutes } from './routes/event-stream';
import { adminInvoiceRoutes } from './routes/admin-invoices';
import { partnerMoneyRoutes } from './routes/partner-money';
import { deadLetterRoutes } from './routes/dead-letters';
import { caseRoutes } from './routes/cases';
import { mailRoutes } from './routes/mail';
import { miscRoutes } from './routes/misc';
import { paymentRoutes } from './routes/payments';
import { webhookRoutes } from './routes/webhooks';
import { startupGate } from './startup';
import { traceRequests } from './tracing';

/** A 400-class answer about the request's content: malformed, oversize or invalid. */
function isValidationFailure(error: Error): boolean {
  if (error instanceof DomainError) return error.type === 'ValidationError';
  const status = (error as FastifyError).statusCode;
  return status === 400 || status === 413 || status === 415;
}

/**
 * Requests Node's HTTP parser refuses before any route runs (headers or request line too large, a
 * malformed request, a client too slow): the status it calls for, with the contract's error body.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive']
        : [400, 'The request is not valid HTTP'];
  const body = JSON.stringify(errorBody('ValidationError', [{ message }], message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A request body of a content type other than application/json, not yet parsed. */
class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Who may call a route. Decided per registered route (its `config.auth`, else from the path it was
 * registered with), and read in the request hooks from the route the router matched: the same route
 * that will run, however the request spelled its URL (`/%61dmin/…` is routed to `/admin/…`).
 */
export type RouteAuth = 'public' | 'partner' | 'operator';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);

/** The role of a route from the path it is registered with (never from a request's URL). */
export function defaultAuthFor(routeUrl: string): RouteAuth {
  if (PUBLIC_ROUTES.has(routeUrl) || isPortalPath(routeUrl)) return 'public';
  if (routeUrl === '/admin' || routeUrl.startsWith('/admin/')) return 'operator';
  return 'partner';
}

/** A client's x-request-id is kept only when it is safe in logs and gRPC metadata: 1–128 visible ASCII characters. */
const SAFE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
}

export function buildServer(ctx: GatewayContext, rateLimitPerMinute: number): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    clientErrorHandler: answerClientError,
    // URLs the router cannot take (a malformed percent-encoding, an over-long segment): their status, our error body.
    frameworkErrors: (error, req, reply) => {
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment of the URL is too long' : 'The URL is malformed';
      void (reply as FastifyReply).header('Request-Id', String(req.id));
      void (reply as FastifyReply).code(error.statusCode ?? 400).send(errorBody('ValidationError', [{ message }], message));
    },
  });
  const limits = createRateLimits(ctx, rateLimitPerMinute);
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
    const declared = r.config?.auth;
    const auth = declared ?? defaultAuthFor(r.url);
    // The operator API stays the operator's even if a route forgets to say so.
    if (defaultAuthFor(r.url) === 'operator' && auth !== 'operator') throw new Error(`${r.url} is under /admin but declared ${auth}`);
    r.config = { ...r.config, auth };
  });

  // Any JSON body, or none; malformed JSON becomes a 400 ValidationError in the error handler.
  // application/json is parsed by Fastify; every other type (text/plain too: fetch's default) is
  // JSON text kept as JsonText and parsed once below, so a JSON string body stays a string.
  // Nesting is bounded on the raw text first, so no recursive code ever sees a hostile depth.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body === '' ? undefined : new JsonText(String(body))));
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (tooDeep(String(body))) return done(validationError([{ message: TOO_DEEP_MESSAGE }]), undefined);
    void parseJson(req, String(body), done);
  });

  traceRequests(app); // first, so the span covers authentication too
  // An answer decided before the body was read waits until the body has arrived (./drain.ts).
  app.addHook('onSend', async (req, reply, payload) => {
    // Every answer names the id of its log lines (and of a 5xx's errorId line): the client's safe x-request-id or ours.
    void reply.header('Request-Id', String(req.id));
    await drainRequest(req.raw);
    return payload;
  });
  app.addHook('onRequest', startupGate(ctx)); // 503 before authentication while the database is awaited at start
  app.addHook('onRequest', async (req, reply) => {
    // The matched route's role; a URL no route matches (a 404) still needs a key, like any partner route.
    const auth = req.routeOptions.config.auth ?? 'partner';
    if (auth === 'public') return;
    const raw = req.headers.xapikey;
    const key = Array.isArray(raw) ? raw[0] : raw;
    const keyHash = key ? hashApiKey(key) : undefined;
    // Missing and unknown keys are counted per client address; an address over its budget is refused
    // before any lookup, unless this process authenticated the key lately (../app/rate-limit.ts).
    const screened = keyHash === undefined || !limits.keys.knows(keyHash);
    const wait = screened ? limits.addresses.attempt(req.ip) : 0;
    if (wait > 0) return tooManyRequests(reply, wait);
    if (!key || keyHash === undefined) return reply.code(401).send(problemDetails(401, 'Missing XApiKey header'));
    const operator = !!ctx.adminApiKey && sameSecret(key, ctx.adminApiKey);
    const owner = operator ? undefined : await ctx.keys.lookup(keyHash, () => authenticate(ctx.db, keyHash));
    const partner = owner?.partner;
    if (!operator && !partner) return reply.code(401).send(problemDetails(401, 'Unknown API key'));
    if (screened) limits.addresses.refund(req.ip);
    // A known key: its own budget, shared by every replica; every answer carries the RateLimit-* headers.
    const decision = await limits.keys.take(keyHash);
    rateLimitHeaders(reply, decision);
    if (!decision.allowed) return tooManyRequests(reply, decision.reset);
    if (auth === 'operator') {
      if (operator) return;
      return reply.code(403).send(problemDetails(403, 'The operator API needs the operator key'));
    }
    if (!partner) return reply.code(401).send(problemDetails(401, 'Unknown API key'));
    req.partner = partner;
    req.partnerKeyId = owner?.keyId;
  });

  // Parse the JSON text ourselves so a malformed body is a clean 400 with our error body.
  app.addHook('preValidation', async (req) => {
    if (!(req.body instanceof JsonText)) return;
    if (tooDeep(req.body.text)) throw validationError([{ message: TOO_DEEP_MESSAGE }]);
    try {
      req.body = JSON.parse(req.body.text) as unknown;
    } catch {
      throw validationError([{ message: 'The request body is not valid JSON' }]);
    }
  });

  app.setErrorHandler(async (caught: FastifyError | DomainError | Error, req, reply) => {
    // A request about a case or webhook that is not the caller's answers 404 before any validation answer.
    const error = isValidationFailure(caught)
      ? ((await notFoundUnlessOwned(ctx, req).catch((e: unknown) => (e instanceof Error ? e : undefined))) ?? caught)
      : caught;
    if (error instanceof DomainError) {
      const { status, body } = bodyForDomainError(error);
      if (status >= 500) ctx.logger.error({ errorId: noteErrorId(req, body.errorId!), requestId: req.id, err: error }, 'request failed');
      if (error.type === 'IdempotencyKeyInUse') void reply.header('Retry-After', String(error instanceof KeyInUse ? error.retryAfterSeconds : 1));
      return reply.code(status).send(body);
    }
    const statusCode = (error as FastifyError).statusCode;
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode === 413 ? 413 : 400).send(errorBody('ValidationError', [{ message: error.message }], error.message));
    }
    const errorId = noteErrorId(req, randomUUID());
    ctx.logger.error({ errorId, requestId: req.id, err: error }, 'unhandled error');
    return reply.code(500).send({ ...errorBody('InternalError', [{ message: `Internal error ${errorId}` }], 'Internal error'), errorId });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('NotFound', [{ message: `No route ${req.method} ${req.url.split('?')[0]}` }], 'Not found')),
  );

  auditOperatorWrites(app, ctx);
  adminRoutes(app, ctx);
  partnerRoutes(app, ctx);
  adminInvoiceRoutes(app, ctx);
  partnerMoneyRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  caseRoutes(app, ctx);
  paymentRoutes(app, ctx);
  miscRoutes(app, ctx);
  webhookRoutes(app, ctx);
  eventStreamRoutes(app, ctx);
  mailRoutes(app, ctx);
  portalRoutes(app);
  registerOpenApi(app, routes);
  app.addHook('onResponse', async (req, reply) => {
    // Route patterns, not raw URLs, as labels: ids would make the series unbounded.
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    ctx.logger.info(
      {
        requestId: req.id,
        ...(errorIdOf(req) ? { errorId: errorIdOf(req) } : {}),
        method: req.method,
        url: req.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  return app;
}
