// The HTTP server span of each request (OpenTelemetry, only when tracing is on): started on arrival
// with the caller's `traceparent` as parent, made the active span for the route handler (so its gRPC
// calls are children), ended with the status code when the response is sent.
import { runInSpan, SpanKind, SpanStatusCode, startSpan, tracingEnabled, type Span } from '@pp/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function traceRequests(app: FastifyInstance): void {
  if (!tracingEnabled()) return; // off: not even a hook
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (req, _reply, done) => {
    // Route patterns, not raw URLs, name the span: ids would make the names unbounded.
    const route = req.routeOptions.url;
    const span = startSpan({
      name: route ? `${req.method} ${route}` : req.method,
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        'url.path': req.url.split('?')[0] ?? '',
        'url.scheme': req.protocol,
        ...(route ? { 'http.route': route } : {}),
        'pp.request_id': String(req.id),
      },
      remoteParent: { carrier: req.headers },
    });
    if (span) spans.set(req, span);
    done();
  });
  // The body is parsed from stream events, outside any context: activate the span again right before the handler.
  app.addHook('preHandler', (req, _reply, done) => runInSpan(spans.get(req), done));
  app.addHook('onError', (req, _reply, error, done) => {
    spans.get(req)?.recordException(error);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      const status = reply.statusCode;
      span.setAttribute('http.response.status_code', status);
      // Server spans: a 4xx is the client's mistake, only a 5xx is a failure of ours.
      if (status >= 500) span.setAttribute('error.type', String(status)).setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(req);
    }
    done();
  });
}
