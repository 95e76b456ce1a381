// The REST edge: authentication, rate limits, error bodies, and the route modules.
import { DomainError, validationError } from '@pp/domain';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { hashApiKey, sameSecret } from '../app/auth';
import { RateLimiter } from '../app/rate-limit';
import * as q from '../infra/gateway.queries';
import type { GatewayContext } from './context';
import { bodyForDomainError, errorBody, problemDetails } from './errors';
import { registerOpenApi } from './openapi';
import { isPortalPath, portalRoutes } from './portal';
import { adminRoutes } from './routes/admin';
import { caseRoutes } from './routes/cases';
import { mailRoutes } from './routes/mail';
import { miscRoutes } from './routes/misc';
import { paymentRoutes } from './routes/payments';
import { webhookRoutes } from './routes/webhooks';
import { traceRequests } from './tracing';

/** A request body of a content type other than application/json, not yet parsed. */
class JsonText {
  constructor(readonly text: string) {}
}

const PUBLIC = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);

export function buildServer(ctx: GatewayContext, rateLimitPerMinute: number): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, genReqId: (req) => String(req.headers['x-request-id'] ?? randomUUID()) });
  const limiter = new RateLimiter(rateLimitPerMinute);
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });

  // Any JSON body, or none; malformed JSON becomes a 400 ValidationError in the error handler.
  // application/json is parsed by Fastify; every other type (text/plain too: fetch's default) is
  // JSON text kept as JsonText and parsed once below, so a JSON string body stays a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body === '' ? undefined : new JsonText(String(body))));

  traceRequests(app); // first, so the span covers authentication too
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (PUBLIC.has(path) || isPortalPath(path)) return;
    const raw = req.headers.xapikey;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key) return reply.code(401).send(problemDetails(401, 'Missing XApiKey header'));
    const wait = limiter.take(hashApiKey(key));
    if (wait > 0) {
      return reply.code(429).header('Retry-After', String(wait)).send({ error: 'rate_limit_exceeded', message: `Rate limit exceeded; retry in ${wait} s`, retryAfter: wait });
    }
    if (path.startsWith('/admin/') || path === '/admin') {
      if (ctx.adminApiKey && sameSecret(key, ctx.adminApiKey)) return;
      const partner = await q.findPartnerByKeyHash(ctx.db, hashApiKey(key));
      if (partner) return reply.code(403).send(problemDetails(403, 'The operator API needs the operator key'));
      return reply.code(401).send(problemDetails(401, 'Unknown API key'));
    }
    const partner = await q.findPartnerByKeyHash(ctx.db, hashApiKey(key));
    if (!partner) return reply.code(401).send(problemDetails(401, 'Unknown API key'));
    req.partner = partner;
  });

  // Parse the JSON text ourselves so a malformed body is a clean 400 with our error body.
  app.addHook('preValidation', async (req) => {
    if (!(req.body instanceof JsonText)) return;
    try {
      req.body = JSON.parse(req.body.text) as unknown;
    } catch {
      throw validationError([{ message: 'The request body is not valid JSON' }]);
    }
  });

  app.setErrorHandler((error: FastifyError | DomainError | Error, req, reply) => {
    if (error instanceof DomainError) {
      const { status, body } = bodyForDomainError(error);
      if (status >= 500) ctx.logger.error({ errorId: body.errorId, requestId: req.id, err: error }, 'request failed');
      if (error.type === 'IdempotencyKeyInUse') void reply.header('Retry-After', '1');
      return reply.code(status).send(body);
    }
    const statusCode = (error as FastifyError).statusCode;
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode === 413 ? 413 : 400).send(errorBody('ValidationError', [{ message: error.message }], error.message));
    }
    const errorId = randomUUID();
    ctx.logger.error({ errorId, requestId: req.id, err: error }, 'unhandled error');
    return reply.code(500).send({ ...errorBody('InternalError', [{ message: `Internal error ${errorId}` }], 'Internal error'), errorId });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('NotFound', [{ message: `No route ${req.method} ${req.url.split('?')[0]}` }], 'Not found')));

  adminRoutes(app, ctx);
  caseRoutes(app, ctx);
  paymentRoutes(app, ctx);
  miscRoutes(app, ctx);
  webhookRoutes(app, ctx);
  mailRoutes(app, ctx);
  portalRoutes(app);
  registerOpenApi(app, routes);
  app.addHook('onResponse', async (req, reply) => {
    // Route patterns, not raw URLs, as labels: ids would make the series unbounded.
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    ctx.logger.info({ requestId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  return app;
}
