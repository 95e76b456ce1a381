// Operator API (SPEC §2).
import { DomainError, ENGAGEMENT_PHASES, isCurrency, parseRate } from '@pp/domain';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { hashApiKey, newApiKey } from '../../app/auth';
import * as q from '../../infra/gateway.queries';
import { Fields } from '../body';
import { callCtx, type GatewayContext } from '../context';
import { caseJson, money } from '../mappers';

export function adminRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/admin/partners', async (req, reply) => {
    const f = new Fields(req.body);
    const companyName = f.string('companyName', { required: true, max: 200 });
    const officeEmail = f.email('officeEmail', true);
    const pre = f.has('preLegalRevenueShare') ? parseRate(f.number('preLegalRevenueShare', { min: 0, max: 1 }), 1, 1) : 400_000n;
    const legal = f.has('legalRevenueShare') ? parseRate(f.number('legalRevenueShare', { min: 0, max: 1 }), 1, 1) : 200_000n;
    if (pre === undefined && f.problems.every((p) => p.field !== 'preLegalRevenueShare')) f.problems.push({ field: 'preLegalRevenueShare', message: 'preLegalRevenueShare: must be a fraction between 0 and 1 with at most 6 decimals' });
    if (legal === undefined && f.problems.every((p) => p.field !== 'legalRevenueShare')) f.problems.push({ field: 'legalRevenueShare', message: 'legalRevenueShare: must be a fraction between 0 and 1 with at most 6 decimals' });
    f.check();
    const apiKey = newApiKey();
    const row: q.PartnerRow = { id: randomUUID(), company_name: companyName!, office_email: officeEmail!, pre_legal_share_ppm: pre!.toString(), legal_share_ppm: legal!.toString(), api_key_hash: hashApiKey(apiKey) };
    await q.insertPartner(ctx.db, row);
    return reply.code(201).send({ id: row.id, companyName: row.company_name, officeEmail: row.office_email, preLegalRevenueShare: Number(pre) / 1e6, legalRevenueShare: Number(legal) / 1e6, apiKey });
  });

  app.post('/admin/cases', async (req, reply) => {
    const f = new Fields(req.body);
    const partnerId = f.uuid('partnerId', true);
    const currency = f.string('currency', { required: true, max: 3 });
    if (currency !== undefined && !isCurrency(currency)) f.problems.push({ field: 'currency', message: 'currency: must be an ISO 4217 currency code' });
    f.check();
    const partner = await q.findPartner(ctx.db, partnerId!);
    if (!partner) throw new DomainError('ValidationError', 'partnerId: no such partner', 'partnerId');
    const c = await createCaseFromFields(ctx, f, partner, currency!, { isTest: f.boolean('isTestCase', false), amountField: 'grossAmount', successFeeDefault: undefined, tag: null }, callCtx(req));
    return reply.code(201).send(c);
  });

  app.post('/admin/invoicing-runs', async (req) => {
    const f = new Fields(req.body ?? {});
    const partnerId = f.uuid('partnerId', false);
    f.check();
    const out = await ctx.ledger.RunInvoicing({ partnerId: partnerId ?? '' }, callCtx(req));
    return {
      invoicedPayouts: out.invoicedPayouts,
      invoices: out.invoices.map((i) => ({ id: i.id, partnerId: i.partnerId, currency: i.currency, totalPlatformFee: money(i.totalPlatformFee, i.currency), payoutCount: i.payoutCount })),
    };
  });
}

/** Shared by the operator's POST /admin/cases and the partner's POST /managed-cases. */
export async function createCaseFromFields(
  ctx: GatewayContext,
  f: Fields,
  partner: q.PartnerRow,
  currency: string,
  opts: { isTest: boolean; amountField: string; successFeeDefault: number | undefined; tag: string | null },
  call: { requestId: string },
) {
  const gross = f.money(opts.amountField, currency, { required: true, positive: true });
  const interest = f.money('interestFees', currency, {}) ?? 0n;
  const reminder = f.money('reminderFees', currency, {}) ?? 0n;
  const collection = f.money('collectionFees', currency, {}) ?? 0n;
  const feeNumber = f.number('successFee', { required: opts.successFeeDefault === undefined, min: 0, max: 100 }) ?? opts.successFeeDefault;
  const successFee = feeNumber === undefined ? undefined : parseRate(feeNumber, 100, 100);
  if (feeNumber !== undefined && successFee === undefined) f.problems.push({ field: 'successFee', message: 'successFee: at most 4 decimals' });
  const phase = f.oneOf('currentEngagementPhase', ENGAGEMENT_PHASES, false) ?? 'Pre-legal';
  const creditorReference = f.string('creditorReference', { max: 200 });
  const creditor = f.object('creditor', false);
  const creditorName = creditor?.string('companyName', { max: 200 });
  const creditorEmail = creditor?.email('officeEmail', false);
  f.merge(creditor);
  const debtor = f.object('debtor', false);
  const debtorType = debtor?.oneOf('type', ['Company', 'Person'] as const, true);
  const debtorName = debtor?.string('name', { required: true, max: 200 });
  f.merge(debtor);
  f.check();
  const created = await ctx.cases.CreateCase(
    {
      partnerId: partner.id,
      partnerOfficeEmail: partner.office_email,
      currency,
      grossAmount: gross!.toString(),
      interestFees: interest.toString(),
      reminderFees: reminder.toString(),
      collectionFees: collection.toString(),
      successFeePpm: successFee!.toString(),
      preLegalSharePpm: partner.pre_legal_share_ppm,
      legalSharePpm: partner.legal_share_ppm,
      isTest: opts.isTest,
      engagementPhase: phase,
      creditorReference: creditorReference ?? '',
      creditor: creditor ? { companyName: creditorName ?? '', officeEmail: creditorEmail ?? '' } : null,
      debtor: debtor ? { type: debtorType ?? '', name: debtorName ?? '' } : null,
      tag: opts.tag ?? '',
    },
    call,
  );
  ctx.currencies.set(created.id, currency);
  const accounts = await ctx.ledger.GetAccounts({ partnerId: partner.id, caseIds: [created.id] }, call);
  return caseJson(created, accounts.accounts[0]);
}
