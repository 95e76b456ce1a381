// Profile, tasks, health and the API description.
import { ping } from '@pp/platform';
import type { FastifyInstance } from 'fastify';
import * as api from '../api';
import { listOrPage, requestedPage } from '../paging';
import { callCtx, partnerOf, type GatewayContext } from '../context';
import { errorBody } from '../errors';
import { money, partnerProfileJson } from '../mappers';

export function miscRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/me', async (req) => partnerProfileJson(partnerOf(req)));

  app.get('/tasks', async (req) => {
    const partner = partnerOf(req);
    const query = api.listTasks.readQuery(req.query);
    const caseId = query.get('caseId');
    const status = query.get('status');
    const asked = requestedPage(query);
    const out = await ctx.followUp.ListTasks(
      { partnerId: partner.id, caseId: caseId.toLowerCase(), status, page: asked?.page ?? 0, pageSize: asked?.pageSize ?? 0 },
      callCtx(req),
    );
    const tasks = out.tasks.map((t) => ({ ...t, amountOwed: money(t.amountOwed, t.currency), completedAt: t.completedAt || null }));
    return listOrPage('tasks', tasks, asked, out.totalResults);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/metrics', async (req, reply) => {
    // Off the public port (METRICS_ON_API_PORT=false): the same answer as a path no route matches.
    if (ctx.metricsOnApiPort === false)
      return reply.code(404).send(errorBody('NotFound', [{ message: `No route ${req.method} ${req.url.split('?')[0]}` }], 'Not found'));
    const { contentType, body } = await ctx.metrics.text();
    return reply.type(contentType).send(body);
  });

  app.get('/readyz', async (req, reply) => {
    const checks = await Promise.all([
      // not ready while the schema is still being waited for at start, even if the server answers
      ctx.startup?.ready === false ? false : ping(ctx.db),
      ctx.ledger.GetAccounts({ partnerId: '00000000-0000-0000-0000-000000000000', caseIds: [] }, { ...callCtx(req), deadlineMs: 2000 }).then(
        () => true,
        () => false,
      ),
      ctx.cases
        .ListCases(
          { partnerId: '00000000-0000-0000-0000-000000000000', statuses: [], includeTestCases: false, page: 1, pageSize: 1 },
          { ...callCtx(req), deadlineMs: 2000 },
        )
        .then(
          () => true,
          () => false,
        ),
      ctx.followUp.ListTasks({ partnerId: '00000000-0000-0000-0000-000000000000', caseId: '', status: '' }, { ...callCtx(req), deadlineMs: 2000 }).then(
        () => true,
        () => false,
      ),
    ]);
    const [database, ledger, caseLifecycle, followUp] = checks;
    const ok = checks.every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks: { database, ledger, caseLifecycle, followUp } });
  });
}
