// Cases (SPEC §3) and test cases (SPEC §7).
import { CLOSE_CODE_NAMES, currencyDigits, DomainError, isCurrency, LIFECYCLES, parseMajor, validationError } from '@pp/domain';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Fields, UUID } from '../body';
import { idempotencyKeyOf, idempotent } from '../idempotent';
import { callCtx, partnerOf, type GatewayContext } from '../context';
import { caseJson, closeCodeDescription, money } from '../mappers';
import { createCaseFromFields } from './admin';
import { recordPaymentCall } from './payments';

type IdParams = { Params: { id: string } };

export function caseIdOf(req: FastifyRequest<IdParams>, type: 'CaseNotFound' | 'PaymentNotFound' = 'CaseNotFound'): string {
  if (!UUID.test(req.params.id)) throw new DomainError(type, type === 'CaseNotFound' ? 'Case not found' : 'Payment not found');
  return req.params.id.toLowerCase();
}

export async function loadCase(ctx: GatewayContext, req: FastifyRequest, caseId: string) {
  const partner = partnerOf(req);
  const [c, accounts] = await Promise.all([ctx.cases.GetCase({ partnerId: partner.id, caseId }, callCtx(req)), ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [caseId] }, callCtx(req))]);
  ctx.currencies.set(c.id, c.currency);
  return caseJson(c, accounts.accounts[0]);
}

function listParam(value: unknown): string[] {
  if (value === undefined) return [];
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
  return parts.map((s) => s.trim()).filter(Boolean);
}

function intParam(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw validationError([{ field: name, message: `${name}: must be an integer between 1 and ${max}` }]);
  return n;
}

export function caseRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/cases', async (req) => {
    const partner = partnerOf(req);
    const query = req.query as Record<string, unknown>;
    const pick = (a: string, b: string) => query[a] ?? query[b];
    const statuses = listParam(pick('Statuses', 'statuses'));
    const bad = statuses.filter((s) => !(LIFECYCLES as readonly string[]).includes(s));
    if (bad.length > 0) throw validationError([{ field: 'Statuses', message: `Statuses: unknown lifecycle ${bad.join(', ')}` }]);
    const page = intParam(pick('Page', 'page'), 'Page', 1, 1_000_000);
    const pageSize = intParam(pick('PageSize', 'pageSize'), 'PageSize', 10, 100);
    const includeRaw = pick('includeTestCases', 'IncludeTestCases');
    if (includeRaw !== undefined && includeRaw !== 'true' && includeRaw !== 'false') throw validationError([{ field: 'includeTestCases', message: 'includeTestCases: must be true or false' }]);
    const out = await ctx.cases.ListCases({ partnerId: partner.id, statuses, includeTestCases: includeRaw === 'true', page, pageSize }, callCtx(req));
    const accounts = await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: out.cases.map((c) => c.id) }, callCtx(req));
    const byId = new Map(accounts.accounts.map((a) => [a.caseId, a]));
    return {
      page: { totalResults: out.totalResults, pageSize, currentPage: page, responseCount: out.cases.length, totalPages: Math.ceil(out.totalResults / pageSize) },
      cases: out.cases.map((c) => caseJson(c, byId.get(c.id))),
    };
  });

  app.get<IdParams>('/cases/:id', async (req) => loadCase(ctx, req, caseIdOf(req)));

  app.get<IdParams>('/cases/:id/audit', async (req) => {
    const partner = partnerOf(req);
    const out = await ctx.ledger.GetAudit({ partnerId: partner.id, caseId: caseIdOf(req) }, callCtx(req));
    const parse = (s: string) => (s === '' ? null : (JSON.parse(s) as unknown));
    return out.entries.map((e) => ({ id: e.id, type: e.type, paymentId: e.paymentId || null, before: parse(e.beforeJson), after: parse(e.afterJson), actor: e.actor, at: e.at }));
  });

  app.post<IdParams>('/cases/:id/close', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const f = new Fields(req.body);
    const closeCode = f.oneOf('closeCode', CLOSE_CODE_NAMES, true);
    const comment = f.string('comment', { max: 2000 });
    f.check();
    const out = await ctx.cases.CloseCase({ partnerId: partner.id, caseId, closeCode: closeCode!, comment: comment ?? '', actor: partner.company_name }, callCtx(req));
    const c = out.case!;
    const recovered = money(out.totalPayments, c.currency);
    return {
      caseReference: c.reference,
      closeCode,
      closeCodeDescription: closeCodeDescription(closeCode!),
      comment: comment ?? null,
      closedAt: out.closedAt,
      closedBy: { userId: null, userName: partner.company_name },
      finalOutstandingAmount: money(out.remainder, c.currency),
      totalPayments: recovered,
      totalRecovered: recovered,
    };
  });

  // ---- test cases (SPEC §7)
  app.post('/managed-cases', async (req, reply) => {
    const partner = partnerOf(req);
    idempotencyKeyOf(req);
    const f = new Fields(req.body);
    const isTest = f.boolean('isTest', false);
    if (!isTest && f.problems.length === 0) f.problems.push({ field: 'isTest', message: 'isTest: partners can only create test cases (isTest: true)' });
    const currency = f.string('currencyCode', { required: true, max: 3 });
    if (currency !== undefined && !isCurrency(currency)) f.problems.push({ field: 'currencyCode', message: 'currencyCode: must be an ISO 4217 currency code' });
    f.date('date', true);
    const creditorName = f.string('creditorCompanyName', { required: true, max: 200 });
    const tag = f.string('tag', { max: 100 });
    if (!f.has('debtor')) f.problems.push({ field: 'debtor', message: 'debtor: is required' });
    f.check();
    const body = { ...(req.body as Record<string, unknown>), creditor: { companyName: creditorName } };
    const fields = new Fields(body);
    return idempotent(ctx, req, reply, '/managed-cases', async () => ({
      status: 200,
      body: await createCaseFromFields(ctx, fields, partner, currency!, { isTest: true, amountField: 'amountToRecover', successFeeDefault: 20, tag: tag ?? null }, callCtx(req)),
    }));
  });

  app.post<IdParams>('/test/cases/:id/advance', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const f = new Fields(req.body);
    const to = f.oneOf('to', ['Active', 'Closed:Paid', 'Closed:NoPayment'] as const, true);
    f.check();
    const current = await loadCase(ctx, req, caseId);
    if (!current.isTestCase) throw validationError([{ field: 'id', message: 'Only test cases can be advanced' }]);
    const state = current.lifecycle === 'Closed' ? `Closed:${current.closeCode === 'Paid' ? 'Paid' : current.closeCode === 'PreLegalExhaustedNoPayment' ? 'NoPayment' : current.closeCode}` : current.lifecycle;
    if (to === 'Active') return { advanced: false, state };
    if (state === to) return { advanced: false, state };
    if (current.lifecycle === 'Closed') throw validationError([{ field: 'to', message: `The case is already closed as ${current.closeCode}` }]);
    if (to === 'Closed:NoPayment') {
      await ctx.cases.CloseCase({ partnerId: partner.id, caseId, closeCode: 'PreLegalExhaustedNoPayment', comment: '', actor: partner.company_name }, callCtx(req));
      return { advanced: true, state: to };
    }
    const amount = f.money('amount', current.currency, { required: true, positive: true });
    f.check();
    const remainder = parseMajor(Math.max(0, current.remainder), currencyDigits(current.currency));
    if (remainder.ok && amount! < remainder.minor) throw validationError([{ field: 'amount', message: `amount: must settle the outstanding balance (${current.remainder}) to close as Paid` }]);
    const out = await recordPaymentCall(ctx, req, caseId, {
      date: new Date().toISOString().slice(0, 10),
      amount: amount!,
      recipient: 'CollectionPartner',
      commissionStatus: undefined,
      explicitSplit: undefined,
      closeCase: true,
      createFollowUp: false,
      idempotencyKey: undefined,
    });
    return { advanced: out.caseClosed, state: out.caseClosed ? to : state };
  });

  const purge = async (req: FastifyRequest, by: { caseId?: string; tag?: string }) => {
    const partner = partnerOf(req);
    const found = await ctx.cases.FindTestCases({ partnerId: partner.id, caseId: by.caseId ?? '', tag: by.tag ?? '' }, callCtx(req));
    if (by.caseId && found.caseIds.length === 0) throw new DomainError('CaseNotFound', 'Case not found');
    const ids = found.caseIds;
    await ctx.followUp.PurgeCases({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    await ctx.ledger.PurgeTestAccounts({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    await ctx.cases.DeleteTestCases({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    for (const id of ids) ctx.currencies.delete(id);
  };

  app.delete<IdParams>('/test/cases/:id', async (req, reply) => {
    await purge(req, { caseId: caseIdOf(req) });
    return reply.code(204).send();
  });

  app.delete('/test/cases', async (req, reply) => {
    const f = new Fields(req.query);
    const tag = f.string('tag', { required: true, max: 100 });
    f.check();
    await purge(req, { tag: tag! });
    return reply.code(204).send();
  });
}
