// Cases (SPEC §3) and test cases (SPEC §7).
import { currencyDigits, DomainError, parseMajor, rateToNumber, validationError } from '@pp/domain';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { closeCase, lifecycleOverrides as overrides } from '../../app/lifecycle';
import * as api from '../api';
import { listOrPage, requestedPage } from '../paging';
import { caseIdOf } from '../ids';
import { idempotencyKeyOf, idempotent } from '../idempotent';
import { auditValues } from '../audit';
import { callCtx, currencyOf, partnerOf, type GatewayContext } from '../context';
import { errorBody } from '../errors';
import { caseAmounts, caseJson, closeCodeDescription, money } from '../mappers';
import { timeline } from '../timeline';
import { createCaseFromFields } from './admin';
import { recordPaymentCall } from './payments';

type IdParams = { Params: { id: string } };

/** Which cases a read may answer: any of the caller's, or only those it created itself (GET /managed-cases…). */
type Scope = { readonly managedOnly: boolean };
const ANY: Scope = { managedOnly: false };
const MANAGED: Scope = { managedOnly: true };

export async function loadCase(ctx: GatewayContext, req: FastifyRequest, caseId: string, scope: Scope = ANY) {
  const partner = partnerOf(req);
  const [c, accounts] = await Promise.all([
    ctx.cases.GetCase({ partnerId: partner.id, caseId, ...scope }, callCtx(req)),
    ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [caseId] }, callCtx(req)),
  ]);
  ctx.currencies.set(partner.id, c.id, c.currency);
  return caseJson(c, accounts.accounts[0], partner);
}

/** A reference is what letters print: 1–64 visible characters; anything else cannot be one. */
const REFERENCE = /^[\x21-\x7e]{1,64}$/;

/** The caller's case with that reference (SPEC §10); unknown, foreign or malformed → 404 CaseNotFound. */
export async function loadCaseByReference(ctx: GatewayContext, req: FastifyRequest, reference: string, scope: Scope = ANY) {
  const partner = partnerOf(req);
  if (!REFERENCE.test(reference)) throw new DomainError('CaseNotFound', 'Case not found');
  const c = await ctx.cases.GetCase({ partnerId: partner.id, caseId: '', reference, ...scope }, callCtx(req));
  const accounts = await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [c.id] }, callCtx(req));
  ctx.currencies.set(partner.id, c.id, c.currency);
  return caseJson(c, accounts.accounts[0], partner);
}

/** One page of the caller's cases (GET /cases), or of those it created itself (GET /managed-cases). */
async function casePage(
  ctx: GatewayContext,
  req: FastifyRequest,
  filter: {
    statuses: string[];
    page: number;
    pageSize: number;
    includeTestCases: boolean;
    managedOnly: boolean;
    ids: string[];
    debtorIds: string[];
    sort: string;
  },
) {
  const partner = partnerOf(req);
  const lifecycleOverrides = await overrides(ctx.ledger, partner.id, filter.statuses, callCtx(req));
  const out = await ctx.cases.ListCases({ partnerId: partner.id, ...filter, lifecycleOverrides }, callCtx(req));
  const accounts = await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: out.cases.map((c) => c.id) }, callCtx(req));
  const byId = new Map(accounts.accounts.map((a) => [a.caseId, a]));
  const { page, pageSize } = filter;
  return {
    page: { totalResults: out.totalResults, pageSize, currentPage: page, responseCount: out.cases.length, totalPages: Math.ceil(out.totalResults / pageSize) },
    cases: inFreshOrder(
      out.cases.map((c) => caseJson(c, byId.get(c.id), partner)),
      filter.sort,
    ),
  };
}

/**
 * case-lifecycle orders by remainder and dateUpdated from its copy of the ledger's values, which follows
 * a write within the consumer's lag; the page shows the ledger's values at once. So that a page never
 * shows them out of its order right after a write (SPEC §1, read-your-writes), the page is put in the
 * order of the values it shows. (Which cases fall on which page still follows the copy.)
 */
function inFreshOrder<C extends { id: string; remainder: number; dateUpdated: string }>(cases: C[], sort: string): C[] {
  const by = sort.replace(/^-/, '');
  if (by !== 'remainder' && by !== 'dateUpdated') return cases;
  const sign = sort.startsWith('-') ? -1 : 1;
  const key = (c: C) => (by === 'remainder' ? c.remainder : Date.parse(c.dateUpdated));
  return [...cases].sort((a, b) => sign * (key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

export function caseRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/cases', async (req) => {
    // the first bad parameter answers at once (queryFailFast)
    const query = api.listCases.readQuery(req.query);
    const [statuses, page, pageSize, ids, debtorIds, sort, includeTestCases] = [
      query.get('Statuses'),
      query.get('Page'),
      query.get('PageSize'),
      query.get('Ids'),
      query.get('DebtorIds'),
      query.get('Sort'),
      query.get('includeTestCases'),
    ];
    return casePage(ctx, req, { statuses, page, pageSize, ids, debtorIds, sort, includeTestCases, managedOnly: false });
  });

  app.get('/managed-cases', async (req) => {
    const query = api.listManagedCases.readQuery(req.query);
    const [statuses, page, pageSize, ids, debtorIds, sort] = [
      query.get('Statuses'),
      query.get('Page'),
      query.get('PageSize'),
      query.get('Ids'),
      query.get('DebtorIds'),
      query.get('Sort'),
    ];
    return casePage(ctx, req, { statuses, page, pageSize, ids, debtorIds, sort, includeTestCases: true, managedOnly: true });
  });

  app.get<IdParams>('/managed-cases/:id', async (req) => loadCase(ctx, req, caseIdOf(req), MANAGED));

  app.get<{ Params: { caseReference: string } }>('/managed-cases/case-reference/:caseReference', async (req) =>
    loadCaseByReference(ctx, req, req.params.caseReference, MANAGED),
  );

  app.get<IdParams>('/cases/:id', async (req) => loadCase(ctx, req, caseIdOf(req)));

  app.get<{ Params: { caseReference: string } }>('/cases/case-reference/:caseReference', async (req) =>
    loadCaseByReference(ctx, req, req.params.caseReference),
  );

  app.get<IdParams>('/cases/:id/audit', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const asked = requestedPage(api.getAudit.readQuery(req.query));
    const out = await ctx.ledger.GetAudit({ partnerId: partner.id, caseId, page: asked?.page ?? 0, pageSize: asked?.pageSize ?? 0 }, callCtx(req));
    const currency = out.entries.length === 0 ? '' : await currencyOf(ctx, req, caseId);
    // the API's names and money, never the ledger's minor units (./audit.ts)
    const values = (s: string) => (s === '' ? null : auditValues(JSON.parse(s) as unknown, currency));
    const entries = out.entries.map((e) => ({
      id: e.id,
      type: e.type,
      paymentId: e.paymentId || null,
      before: values(e.beforeJson),
      after: values(e.afterJson),
      actor: e.actor,
      at: e.at,
    }));
    return listOrPage('entries', entries, asked, out.totalResults);
  });

  app.post<IdParams>('/cases/:id/close', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const f = api.closeCase.readBody(req.body);
    const closeCode = f.get('closeCode');
    const comment = f.get('comment');
    f.check();
    const out = await closeCase(
      ctx.ledger,
      { partnerId: partner.id, caseId, closeCode: closeCode!, comment: comment ?? '', actor: partner.company_name },
      callCtx(req),
    );
    const recovered = money(out.totalPayments, out.currency);
    return {
      caseReference: out.reference,
      closeCode,
      closeCodeDescription: closeCodeDescription(closeCode!),
      comment: comment ?? null,
      closedAt: out.closedAt,
      closedBy: { userId: null, userName: partner.company_name },
      finalOutstandingAmount: money(out.remainder, out.currency),
      totalPayments: recovered,
      totalRecovered: recovered,
    };
  });

  // ---- test cases (SPEC §7)
  app.post('/managed-cases', async (req, reply) => {
    const partner = partnerOf(req);
    idempotencyKeyOf(req);
    // First the fields the rest depends on (the amounts need currencyCode), then the case fields.
    const f = api.createTestCase.readBody(req.body);
    const isTest = f.get('isTest');
    if (!isTest && f.fields.problems.length === 0) f.problem('isTest', 'partners can only create test cases (isTest: true)');
    const currency = f.get('currencyCode');
    f.get('date');
    const creditorName = f.get('creditorCompanyName');
    const tag = f.get('tag');
    if (!f.has('debtor')) f.problem('debtor', 'is required');
    f.check();
    return idempotent(ctx, req, reply, '/managed-cases', async () => ({
      status: 200,
      body: await createCaseFromFields(
        ctx,
        f,
        partner,
        currency!,
        {
          isTest: true,
          managed: true,
          amount: f.get('amountToRecover', { currency }),
          creditor: () => ({ companyName: creditorName, officeEmail: undefined }),
          tag: tag ?? null,
        },
        callCtx(req),
      ),
    }));
  });

  app.post<IdParams>('/test/cases/:id/advance', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const f = api.advanceTestCase.readBody(req.body);
    const to = f.get('to');
    f.check();
    const current = await loadCase(ctx, req, caseId);
    if (!current.isTestCase) throw validationError([{ field: 'id', message: 'Only test cases can be advanced' }]);
    const state =
      current.lifecycle === 'Closed'
        ? `Closed:${current.closeCode === 'Paid' ? 'Paid' : current.closeCode === 'PreLegalExhaustedNoPayment' ? 'NoPayment' : current.closeCode}`
        : current.lifecycle;
    if (to === 'Active') return { advanced: false, state };
    if (state === to) return { advanced: false, state };
    if (current.lifecycle === 'Closed') throw validationError([{ field: 'to', message: `The case is already closed as ${current.closeCode}` }]);
    if (to === 'Closed:NoPayment') {
      await closeCase(
        ctx.ledger,
        { partnerId: partner.id, caseId, closeCode: 'PreLegalExhaustedNoPayment', comment: '', actor: partner.company_name },
        callCtx(req),
      );
      return { advanced: true, state: to };
    }
    const amount = f.get('amount', { currency: current.currency, required: true }); // required for Closed:Paid
    f.check();
    const remainder = parseMajor(Math.max(0, current.remainder), currencyDigits(current.currency));
    if (remainder.ok && amount! < remainder.minor)
      throw validationError([{ field: 'amount', message: `amount: must settle the outstanding balance (${current.remainder}) to close as Paid` }]);
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
    return { advanced: out.payment.caseClosed, state: out.payment.caseClosed ? to : state };
  });

  const purge = async (req: FastifyRequest, by: { caseId?: string; tag?: string }) => {
    const partner = partnerOf(req);
    const found = await ctx.cases.FindTestCases({ partnerId: partner.id, caseId: by.caseId ?? '', tag: by.tag ?? '' }, callCtx(req));
    if (by.caseId && found.caseIds.length === 0) throw new DomainError('CaseNotFound', 'Case not found');
    const ids = found.caseIds;
    await ctx.followUp.PurgeCases({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    await ctx.ledger.PurgeTestAccounts({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    await ctx.cases.DeleteTestCases({ partnerId: partner.id, caseIds: ids }, callCtx(req));
    for (const id of ids) ctx.currencies.delete(partner.id, id);
  };

  app.delete<IdParams>('/test/cases/:id', async (req, reply) => {
    await purge(req, { caseId: caseIdOf(req) });
    return reply.code(204).send();
  });

  app.delete('/test/cases', async (req, reply) => {
    const f = api.deleteTestCases.readQuery(req.query);
    const tag = f.get('tag');
    f.check();
    await purge(req, { tag: tag! });
    return reply.code(204).send();
  });

  // ---- SPEC §10: fees and the timeline
  app.put<IdParams>('/cases/:id/fees', async (req, reply) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const c = await ctx.cases.GetCase({ partnerId: partner.id, caseId, reference: '', managedOnly: false }, callCtx(req));
    ctx.currencies.set(partner.id, c.id, c.currency);
    const f = api.updateFees.readBody(req.body);
    const currency = c.currency;
    const given = {
      grossAmount: f.get('grossAmount', { currency }),
      interestFees: f.get('interestFees', { currency }),
      reminderFees: f.get('reminderFees', { currency }),
      collectionFees: f.get('collectionFees', { currency }),
    };
    // accepted, and change nothing: the success fee does not depend on the amounts (SPEC §10)
    f.get('confirmPriceChange');
    f.get('keepIntentionalRate');
    f.check();
    const minor = (v: bigint | undefined) => (v ?? 0n).toString();
    let out;
    try {
      out = await ctx.ledger.UpdateFees(
        {
          partnerId: partner.id,
          caseId,
          hasGrossAmount: given.grossAmount !== undefined,
          grossAmount: minor(given.grossAmount),
          hasInterestFees: given.interestFees !== undefined,
          interestFees: minor(given.interestFees),
          hasReminderFees: given.reminderFees !== undefined,
          reminderFees: minor(given.reminderFees),
          hasCollectionFees: given.collectionFees !== undefined,
          collectionFees: minor(given.collectionFees),
          actor: partner.company_name,
          createdInterestFees: c.interestFees,
          createdReminderFees: c.reminderFees,
          createdCollectionFees: c.collectionFees,
        },
        callCtx(req),
      );
    } catch (error) {
      // SPEC §10 answers a closed case with 400 here (a payment on one is 409)
      if (error instanceof DomainError && error.type === 'CaseClosed') return reply.code(400).send(errorBody('CaseClosed', [], error.message));
      throw error;
    }
    const account = out.account!;
    const amounts = caseAmounts(c, account);
    return {
      caseId: c.id,
      grossAmount: money(amounts.grossAmount, currency),
      interestFees: money(amounts.interestFees, currency),
      reminderFees: money(amounts.reminderFees, currency),
      collectionFees: money(amounts.collectionFees, currency),
      totalAddedFees: money(amounts.totalAddedFees, currency),
      recalculatedSuccessFee: rateToNumber(BigInt(c.successFeePpm), 100),
      remainder: money(account.remainder, currency),
    };
  });

  app.get<IdParams>('/cases/:id/timeline', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const [c, audit] = await Promise.all([
      ctx.cases.GetCase({ partnerId: partner.id, caseId, reference: '', managedOnly: false }, callCtx(req)),
      ctx.ledger.GetAudit({ partnerId: partner.id, caseId }, callCtx(req)),
    ]);
    // a test case may be the partner's own (POST /managed-cases); every other case comes from the operator
    const ownCase =
      c.isTest &&
      (await ctx.cases.GetCase({ partnerId: partner.id, caseId, reference: '', managedOnly: true }, callCtx(req)).then(
        () => true,
        (error: unknown) => (error instanceof DomainError && error.type === 'CaseNotFound' ? false : Promise.reject(error)),
      ));
    const createdBy = ownCase ? { type: 'Partner' as const, name: partner.company_name } : { type: 'Operator' as const, name: 'Platform operator' };
    const items = timeline(
      {
        reference: c.reference,
        currency: c.currency,
        createdAt: c.createdAt,
        grossAmount: c.grossAmount,
        interestFees: c.interestFees,
        reminderFees: c.reminderFees,
        collectionFees: c.collectionFees,
        createdBy,
      },
      audit.entries,
    );
    return { items, currentEngagementPhase: c.engagementPhase || null };
  });
}
