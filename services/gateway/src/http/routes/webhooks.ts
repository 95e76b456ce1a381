// Webhook subscriptions and the delivery log (SPEC §6), and webhook testing (SPEC §10); case-lifecycle owns them.
import type { caseLifecycleV1 } from '@pp/proto';
import { fireTestEvent } from '../../app/fire-test-event';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as api from '../api';
import { caseIdOf, pathId } from '../ids';
import { callCtx, partnerOf, type GatewayContext } from '../context';
import { idempotencyKeyOf, idempotent } from '../idempotent';
import { listOrPage, requestedPage } from '../paging';

type IdParams = { Params: { id: string } };

/**
 * The page after the deliveries the unpaginated log answered: at the largest PageSize (100), the newest
 * UNPAGED_EVENTS_MAX are its first pages, so the next one follows them exactly, with the same filters.
 */
function nextEventsLink(url: string): string {
  const next = new URL(url, 'http://gateway');
  const pageSize = 100;
  next.searchParams.set('Page', String(api.UNPAGED_EVENTS_MAX / pageSize + 1));
  next.searchParams.set('PageSize', String(pageSize));
  return `<${next.pathname}${next.search}>; rel="next"`;
}

function webhookJson(w: caseLifecycleV1.Webhook__Output, withSecret: boolean) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    isActive: w.isActive,
    isTestMode: w.isTestMode,
    createdUtc: w.createdAt,
    updatedUtc: w.updatedAt,
    disabledReason: w.disabledReason || null,
    ...(withSecret ? { secret: w.secret } : {}),
  };
}

function idOf(req: FastifyRequest<IdParams>, notFound: 'WebhookNotFound' | 'EventNotFound'): string {
  return pathId(req.params.id, notFound);
}

export function webhookRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/webhooks', async (req, reply) => {
    const partner = partnerOf(req);
    idempotencyKeyOf(req);
    const f = api.createWebhook.readBody(req.body);
    const url = f.get('url');
    const events = f.get('events');
    const isTestMode = f.get('isTestMode');
    f.check();
    return idempotent(ctx, req, reply, '/webhooks', async () => {
      const created = await ctx.cases.CreateWebhook(
        { partnerId: partner.id, url: url!, events: events!, isTestMode, officeEmail: partner.office_email },
        callCtx(req),
      );
      return { status: 201, body: webhookJson(created, true) };
    });
  });

  app.get('/webhooks', async (req) => {
    const out = await ctx.cases.ListWebhooks({ partnerId: partnerOf(req).id }, callCtx(req));
    return out.webhooks.map((w) => webhookJson(w, false));
  });

  app.get('/webhooks/events', async (req, reply) => {
    const f = api.listWebhookEvents.readQuery(req.query);
    const caseId = f.get('caseId');
    const since = f.get('since');
    const asked = requestedPage(f);
    f.check();
    const out = await ctx.cases.ListWebhookEvents(
      {
        partnerId: partnerOf(req).id,
        caseId: caseId?.toLowerCase() ?? '',
        since: since?.toISOString() ?? '',
        limit: api.UNPAGED_EVENTS_MAX,
        page: asked?.page ?? 0,
        pageSize: asked?.pageSize ?? 0,
      },
      callCtx(req),
    );
    // The unpaginated log stays the array it was, cut at its bound, but no longer silently (issue 16).
    void reply.header('X-Total-Count', String(out.totalResults));
    if (!asked && out.totalResults > out.events.length) void reply.header('Link', nextEventsLink(req.url));
    const events = out.events.map((e) => ({
      id: e.id,
      subscriptionId: e.subscriptionId,
      caseId: e.caseId,
      eventType: e.eventType,
      payload: e.payload,
      createdAt: e.createdAt,
      deliveredAt: e.deliveredAt || null,
      attemptCount: e.attemptCount,
      lastResponseCode: e.lastResponseCode || null,
      lastError: e.lastError || null,
    }));
    return listOrPage('events', events, asked, out.totalResults);
  });

  app.get<IdParams>('/webhooks/events/:id/attempts', async (req) => {
    const out = await ctx.cases.ListWebhookAttempts({ partnerId: partnerOf(req).id, eventId: idOf(req, 'EventNotFound') }, callCtx(req));
    return out.attempts.map((a) => ({
      attempt: a.attempt,
      at: a.at,
      responseCode: a.responseCode === 0 ? null : a.responseCode,
      error: a.error || null,
      durationMs: a.latencyMs,
      replay: a.replay,
      responseBodyExcerpt: a.hasResponseExcerpt ? a.responseExcerpt : null,
    }));
  });

  app.post<IdParams>('/webhooks/events/:id/replay', async (req) => {
    const out = await ctx.cases.ReplayWebhookEvent({ partnerId: partnerOf(req).id, eventId: idOf(req, 'EventNotFound') }, callCtx(req));
    return { eventId: out.eventId, subscriptionId: out.subscriptionId, eventType: out.eventType };
  });

  app.get<IdParams>('/webhooks/:id', async (req) =>
    webhookJson(await ctx.cases.GetWebhook({ partnerId: partnerOf(req).id, id: idOf(req, 'WebhookNotFound') }, callCtx(req)), false),
  );

  app.put<IdParams>('/webhooks/:id', async (req) => {
    const id = idOf(req, 'WebhookNotFound');
    const f = api.updateWebhook.readBody(req.body);
    const url = f.get('url');
    const events = f.get('events');
    const hasActive = f.has('isActive');
    const isActive = f.get('isActive');
    const regenerateSecret = f.get('regenerateSecret');
    f.check();
    const out = await ctx.cases.UpdateWebhook(
      {
        partnerId: partnerOf(req).id,
        // kept current on every change: a disabling notice goes to the address the partner has now
        officeEmail: partnerOf(req).office_email,
        id,
        hasUrl: url !== undefined,
        url: url ?? '',
        hasEvents: events !== undefined,
        events: events ?? [],
        hasIsActive: hasActive,
        isActive,
        regenerateSecret,
      },
      callCtx(req),
    );
    return webhookJson(out, regenerateSecret);
  });

  app.delete<IdParams>('/webhooks/:id', async (req, reply) => {
    await ctx.cases.DeleteWebhook({ partnerId: partnerOf(req).id, id: idOf(req, 'WebhookNotFound') }, callCtx(req));
    return reply.code(204).send();
  });

  // ---- webhook testing (SPEC §10)
  app.post('/test/webhooks/fire', async (req, reply) => {
    const partner = partnerOf(req);
    idempotencyKeyOf(req);
    const f = api.fireTestWebhook.readBody(req.body);
    const event = f.get('event');
    const caseId = f.get('caseId');
    const subscriptionId = f.get('subscriptionId');
    f.check();
    return idempotent(ctx, req, reply, '/test/webhooks/fire', async () => {
      const out = await fireTestEvent(
        ctx,
        { partnerId: partner.id, caseId: caseId!.toLowerCase(), event: event!, subscriptionId: subscriptionId?.toLowerCase() ?? '' },
        callCtx(req),
      );
      return { status: 200, body: { eventType: out.eventType, caseId: out.caseId, enqueuedCount: out.enqueuedCount } };
    });
  });

  app.post<IdParams>('/test/cases/:id/replay-last-event', async (req) => {
    const out = await ctx.cases.ReplayLastCaseEvent({ partnerId: partnerOf(req).id, caseId: caseIdOf(req) }, callCtx(req));
    return { eventId: out.eventId, subscriptionId: out.subscriptionId, eventType: out.eventType };
  });
}
