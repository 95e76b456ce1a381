// GET /webhooks/events/stream (issue 16): the partner's events as Server-Sent Events, read from
// case-lifecycle's event log by position (resumable with Last-Event-ID, nothing skipped or repeated).
// The gateway polls case-lifecycle while the client listens: a short pause when it has caught up, none
// while there is more. Streams end when the client goes, or when the gateway closes.
import type { FastifyInstance } from 'fastify';
import * as api from '../api';
import { callCtx, partnerOf, type GatewayContext } from '../context';

const BATCH = 100;
const IDLE_POLL_MS = 500;
const RETRY_AFTER_FAILURE_MS = 2_000;
const KEEP_ALIVE_MS = 15_000;

export function eventStreamRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const open = new Set<() => void>();
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get('/webhooks/events/stream', async (req, reply) => {
    const partnerId = partnerOf(req).id;
    const query = api.streamWebhookEvents.readQuery(req.query);
    const isTest = query.get('isTestMode');
    query.check();
    const header = req.headers['last-event-id'];
    const call = callCtx(req);
    // The first read checks Last-Event-ID: a bad one is a 400 before the stream starts.
    let batch = await ctx.cases.ReadEventStream({ partnerId, isTest, after: (Array.isArray(header) ? header[0] : header) ?? '', limit: BATCH }, call);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'request-id': String(req.id),
    });
    // HEAD (Fastify answers it with this handler): the headers of the stream, and no stream
    if (req.method === 'HEAD') return void res.end();
    let closed = false;
    let wake: (() => void) | undefined;
    const end = () => {
      closed = true;
      wake?.();
    };
    open.add(end);
    res.on('close', end);
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    res.write(`retry: ${RETRY_AFTER_FAILURE_MS}\n: stream of ${isTest ? 'test' : 'production'} events\n\n`);
    let lastWrite = Date.now();
    try {
      while (!closed) {
        for (const e of batch.events) res.write(`id: ${e.position}\nevent: ${JSON.parse(e.envelopeJson).event}\ndata: ${e.envelopeJson}\n\n`);
        if (batch.events.length > 0) lastWrite = Date.now();
        else if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        if (batch.events.length < BATCH) await pause(IDLE_POLL_MS);
        if (closed) break;
        const position = batch.position;
        try {
          batch = await ctx.cases.ReadEventStream({ partnerId, isTest, after: position, limit: BATCH }, call);
        } catch (error) {
          // case-lifecycle away for a moment: keep the client's connection, try again
          ctx.logger.warn({ err: error, requestId: req.id }, 'event stream: reading failed; retrying');
          batch = { events: [], position };
          await pause(RETRY_AFTER_FAILURE_MS);
        }
      }
    } finally {
      open.delete(end);
      res.end();
    }
  });
}
