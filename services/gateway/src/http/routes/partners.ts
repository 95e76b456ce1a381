// Partners and keys for the operator (/admin/partners…, /admin/audit) and a partner's own keys (/me/keys):
// issue 15. The rules are in ../../app/partners.ts; this file translates HTTP.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IssuedKey } from '../../app/partners';
import { listAudit, listPartners, type ApiKeyRow, type OperatorAuditRow, type PartnerAccountRow } from '../../infra/partners.queries';
import * as api from '../api';
import { partnerOf, type GatewayContext } from '../context';
import { pathId } from '../ids';
import { partnerProfileJson } from '../mappers';

type PartnerParams = FastifyRequest<{ Params: { id: string } }>;
type KeyParams = FastifyRequest<{ Params: { id: string; keyId: string } }>;

export function partnerRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/admin/partners', async (req) => {
    const query = api.listPartners.readQuery(req.query);
    const page = query.get('Page');
    const pageSize = query.get('PageSize');
    query.check();
    const { total, rows } = await listPartners(ctx.db, { offset: (page - 1) * pageSize, limit: pageSize });
    return { page: pageInfo(total, page, pageSize, rows.length), partners: rows.map(partnerJson) };
  });

  app.get('/admin/partners/:id', async (req: PartnerParams) => partnerJson(await ctx.partners.get(pathId(req.params.id, 'PartnerNotFound'))));

  app.patch('/admin/partners/:id', async (req: PartnerParams) => {
    const id = pathId(req.params.id, 'PartnerNotFound');
    const f = api.updatePartner.readBody(req.body);
    const changes = {
      companyName: f.get('companyName'),
      officeEmail: f.get('officeEmail'),
      preLegalSharePpm: f.get('preLegalRevenueShare'),
      legalSharePpm: f.get('legalRevenueShare'),
      active: f.get('active'),
    };
    f.check();
    return partnerJson(await ctx.partners.change(id, changes));
  });

  app.get('/admin/partners/:id/keys', async (req: PartnerParams) => (await ctx.partners.keysOf(pathId(req.params.id, 'PartnerNotFound'))).map(keyJson));

  app.post('/admin/partners/:id/keys', async (req: PartnerParams, reply) =>
    reply.code(201).send(issuedJson(await ctx.partners.issueKey(pathId(req.params.id, 'PartnerNotFound')))),
  );

  app.delete('/admin/partners/:id/keys/:keyId', async (req: KeyParams, reply) => {
    await ctx.partners.revokeKey(pathId(req.params.id, 'NotFound'), pathId(req.params.keyId, 'NotFound'));
    return reply.code(204).send();
  });

  app.get('/admin/audit', async (req) => {
    const query = api.listOperatorAudit.readQuery(req.query);
    const page = query.get('Page');
    const pageSize = query.get('PageSize');
    const targetId = query.get('targetId');
    query.check();
    const filter = { offset: (page - 1) * pageSize, limit: pageSize, ...(targetId ? { targetId: targetId.toLowerCase() } : {}) };
    const { total, rows } = await listAudit(ctx.db, filter);
    return { page: pageInfo(total, page, pageSize, rows.length), entries: rows.map(auditJson) };
  });

  app.get('/me/keys', async (req) => (await ctx.partners.keysOf(partnerOf(req).id)).map(keyJson));

  app.post('/me/keys', async (req, reply) => reply.code(201).send(issuedJson(await ctx.partners.issueKey(partnerOf(req).id))));

  app.delete('/me/keys/:keyId', async (req: FastifyRequest<{ Params: { keyId: string } }>, reply) => {
    await ctx.partners.revokeKey(partnerOf(req).id, pathId(req.params.keyId, 'NotFound'), req.partnerKeyId);
    return reply.code(204).send();
  });
}

export function pageInfo(total: number, currentPage: number, pageSize: number, responseCount: number) {
  return { totalResults: total, pageSize, currentPage, responseCount, totalPages: Math.ceil(total / pageSize) };
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function partnerJson(p: PartnerAccountRow) {
  return {
    ...partnerProfileJson(p),
    active: p.active,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
  };
}

function keyJson(k: ApiKeyRow) {
  return { id: k.id, prefix: k.prefix, createdAt: iso(k.created_at), lastUsedAt: iso(k.last_used_at) };
}

const issuedJson = (k: IssuedKey) => ({ ...keyJson(k), apiKey: k.apiKey });

function auditJson(a: OperatorAuditRow) {
  return {
    id: a.id,
    at: iso(a.at),
    operatorKeyId: a.operator,
    operation: a.operation,
    method: a.method,
    path: a.path,
    targetId: a.target_id,
    request: a.request,
    status: a.status_code,
    completedAt: iso(a.completed_at),
  };
}
