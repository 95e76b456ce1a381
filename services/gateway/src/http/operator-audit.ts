// The operator's audit trail (issue 15): every write under /admin is recorded before its handler runs
// (who, what, the body as sent) and completed with its answer, so that a write interrupted by a crash
// still shows, with no status. Hooks rather than a call in each handler: a new operator route is audited
// without anyone remembering to.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { completeAudit, startAudit } from '../infra/partners.queries';
import { operations } from './api';
import type { GatewayContext } from './context';
import { UUID } from './body';

const MAX_REQUEST_TEXT = 4096;

declare module 'fastify' {
  interface FastifyRequest {
    operatorAuditId?: string;
  }
}

/** Which operator key made a write: a fingerprint, never the key. */
export function operatorKeyId(adminApiKey: string): string {
  return `op_${createHash('sha256').update(adminApiKey).digest('hex').slice(0, 12)}`;
}

export function auditOperatorWrites(app: FastifyInstance, ctx: GatewayContext): void {
  const operationIds = new Map(operations().map((o) => [`${o.method} ${o.path}`, o.operationId]));
  app.addHook('preHandler', async (req) => {
    if (req.routeOptions.config.auth !== 'operator' || req.method === 'GET' || req.method === 'HEAD' || !ctx.adminApiKey) return;
    const id = randomUUID();
    const url = req.routeOptions.url ?? '';
    await startAudit(ctx.db, {
      id,
      operator: operatorKeyId(ctx.adminApiKey),
      operation: operationIds.get(`${req.method} ${url}`) ?? `${req.method} ${url}`,
      method: req.method,
      path: req.url.split('?')[0] ?? req.url,
      target_id: lastIdParam(req),
      request: req.body === undefined ? null : JSON.stringify(req.body).slice(0, MAX_REQUEST_TEXT),
    });
    req.operatorAuditId = id;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.operatorAuditId) return payload;
    const id = req.operatorAuditId;
    req.operatorAuditId = undefined;
    await completeAudit(ctx.db, id, reply.statusCode, reply.statusCode === 201 ? createdId(payload) : null);
    return payload;
  });
}

/** The resource a path names: its last UUID parameter (the key of /admin/partners/:id/keys/:keyId). */
function lastIdParam(req: FastifyRequest): string | null {
  const values = Object.values((req.params ?? {}) as Record<string, string>).filter((v) => UUID.test(v));
  return values.at(-1)?.toLowerCase() ?? null;
}

/** The id of what a 201 created (the answer's `id`), so the entry names the new partner, case or key. */
function createdId(payload: unknown): string | null {
  if (typeof payload !== 'string' || payload.length > 1_000_000) return null;
  try {
    const id = (JSON.parse(payload) as { id?: unknown }).id;
    return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : null;
  } catch {
    return null;
  }
}
