// Operator API (SPEC §2).
import { DomainError } from '@pp/domain';
import { createCase } from '../../app/create-case';
import type { FastifyInstance } from 'fastify';
import type * as q from '../../infra/gateway.queries';
import { findPartner } from '../../infra/partners.queries';
import * as api from '../api';
import { callCtx, type GatewayContext } from '../context';
import { caseJson, money, partnerProfileJson } from '../mappers';
import type { Reader } from '../schema';

export function adminRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/admin/partners', async (req, reply) => {
    const f = api.createPartner.readBody(req.body);
    const companyName = f.get('companyName');
    const officeEmail = f.get('officeEmail');
    const pre = f.get('preLegalRevenueShare');
    const legal = f.get('legalRevenueShare');
    f.check();
    const { partner, key } = await ctx.partners.create({ companyName: companyName!, officeEmail: officeEmail!, preLegalSharePpm: pre!, legalSharePpm: legal! });
    return reply.code(201).send({ ...partnerProfileJson(partner), apiKey: key.apiKey });
  });

  app.post('/admin/cases', async (req, reply) => {
    const f = api.createCase.readBody(req.body);
    const partnerId = f.get('partnerId');
    const currency = f.get('currency');
    f.check();
    const partner = await findPartner(ctx.db, partnerId!);
    if (!partner) throw new DomainError('ValidationError', 'partnerId: no such partner', 'partnerId');
    const isTest = f.get('isTestCase');
    const c = await createCaseFromFields(
      ctx,
      f,
      partner,
      currency!,
      { isTest, managed: false, amount: f.get('grossAmount', { currency }), creditor: () => f.get('creditor'), tag: null },
      callCtx(req),
    );
    return reply.code(201).send(c);
  });

  app.post('/admin/invoicing-runs', async (req) => {
    const f = api.runInvoicing.readBody(req.body);
    const partnerId = f.get('partnerId');
    f.check();
    const out = await ctx.ledger.RunInvoicing({ partnerId: partnerId ?? '' }, callCtx(req));
    return {
      invoicedPayouts: out.invoicedPayouts,
      invoices: out.invoices.map((i) => ({
        id: i.id,
        partnerId: i.partnerId,
        currency: i.currency,
        totalPlatformFee: money(i.totalPlatformFee, i.currency),
        payoutCount: i.payoutCount,
      })),
    };
  });
}

/** The case fields POST /admin/cases and POST /managed-cases share (their declarations in ../api). */
type CaseFields = Pick<
  api.BodyOf<typeof api.createCase> & api.BodyOf<typeof api.createTestCase>,
  'interestFees' | 'reminderFees' | 'collectionFees' | 'successFee' | 'currentEngagementPhase' | 'creditorReference' | 'dueDate' | 'debtor' | 'date'
>;

/** Shared by the operator's POST /admin/cases and the partner's POST /managed-cases; reads the rest of the case fields. */
export async function createCaseFromFields(
  ctx: GatewayContext,
  f: Reader<CaseFields>,
  partner: q.PartnerRow,
  currency: string,
  opts: {
    isTest: boolean;
    managed: boolean;
    amount: bigint | undefined;
    creditor: () => { companyName: string | undefined; officeEmail: string | undefined } | undefined;
    tag: string | null;
  },
  call: { requestId: string },
) {
  const gross = opts.amount;
  const interest = f.get('interestFees', { currency });
  const reminder = f.get('reminderFees', { currency });
  const collection = f.get('collectionFees', { currency });
  const successFee = f.get('successFee');
  const phase = f.get('currentEngagementPhase');
  const creditorReference = f.get('creditorReference');
  const creditor = opts.creditor();
  const debtor = f.get('debtor');
  const date = f.get('date');
  const dueDate = f.get('dueDate');
  f.check();
  const created = await createCase(
    ctx,
    {
      partnerId: partner.id,
      currency,
      grossAmount: gross!.toString(),
      interestFees: interest.toString(),
      reminderFees: reminder.toString(),
      collectionFees: collection.toString(),
      successFeePpm: successFee!.toString(),
      isTest: opts.isTest,
      managed: opts.managed,
      engagementPhase: phase,
      creditorReference: creditorReference ?? '',
      creditor: creditor ? { companyName: creditor.companyName ?? '', officeEmail: creditor.officeEmail ?? '' } : null,
      debtor: debtor ? { type: debtor.type ?? '', name: debtor.name ?? '', id: debtor.id?.toLowerCase() ?? '' } : null,
      date: date ?? '',
      dueDate: dueDate ?? '',
      tag: opts.tag ?? '',
    },
    { officeEmail: partner.office_email, preLegalSharePpm: BigInt(partner.pre_legal_share_ppm), legalSharePpm: BigInt(partner.legal_share_ppm) },
    call,
  );
  ctx.currencies.set(partner.id, created.id, currency);
  const accounts = await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [created.id] }, call);
  return caseJson(created, accounts.accounts[0], partner);
}
