// Payments (SPEC §4): record with idempotency, list, edit, delete, commission settlement.
import { DomainError, validationError, type CommissionStatus, type PaymentRecipient } from '@pp/domain';
import { answerDate } from '@pp/events';
import type { ledgerV1 } from '@pp/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as api from '../api';
import { listOrPage, requestedPage } from '../paging';
import { caseIdOf, pathId } from '../ids';
import { callCtx, currencyOf, partnerOf, type GatewayContext } from '../context';
import { idempotencyKeyOf, idempotent } from '../idempotent';
import { money, paymentJson } from '../mappers';
import type { Reader } from '../schema';

type IdParams = { Params: { id: string } };
type PaymentParams = { Params: { id: string; paymentId: string } };

type SplitFields = Pick<
  api.BodyOf<typeof api.recordPayment> & api.BodyOf<typeof api.updatePayment>,
  'paymentAmount' | 'payoutCreditor' | 'payoutCollectionPartner'
>;

/** The amount and the explicit split; payoutCreditor and payoutCollectionPartner come both or neither (api: bodyRules). */
function splitFields(f: Reader<SplitFields>, currency: string) {
  const amount = f.get('paymentAmount', { currency });
  const hasCreditor = f.has('payoutCreditor');
  const hasPartner = f.has('payoutCollectionPartner');
  const payoutCreditor = f.get('payoutCreditor', { currency });
  const payoutPartner = f.get('payoutCollectionPartner', { currency });
  if (hasCreditor !== hasPartner)
    f.fields.problems.push({
      field: hasCreditor ? 'payoutCollectionPartner' : 'payoutCreditor',
      message: 'payoutCreditor and payoutCollectionPartner must be sent together',
    });
  const explicitSplit =
    hasCreditor && hasPartner && payoutCreditor !== undefined && payoutPartner !== undefined
      ? { payoutCreditor, payoutCollectionPartner: payoutPartner }
      : undefined;
  return { amount, explicitSplit };
}

export interface RecordInput {
  date: string;
  amount: bigint;
  recipient: PaymentRecipient;
  commissionStatus: CommissionStatus | undefined;
  explicitSplit: { payoutCreditor: bigint; payoutCollectionPartner: bigint } | undefined;
  closeCase: boolean;
  createFollowUp: boolean;
  idempotencyKey: string | undefined;
}

export async function recordPaymentCall(ctx: GatewayContext, req: FastifyRequest, caseId: string, input: RecordInput) {
  const partner = partnerOf(req);
  const currency = await currencyOf(ctx, req, caseId);
  const out = await ctx.ledger.RecordPayment(
    {
      partnerId: partner.id,
      caseId,
      date: input.date,
      amount: input.amount.toString(),
      recipient: input.recipient,
      commissionStatus: input.commissionStatus ?? '',
      explicitSplit: input.explicitSplit !== undefined,
      payoutCreditor: (input.explicitSplit?.payoutCreditor ?? 0n).toString(),
      payoutCollectionPartner: (input.explicitSplit?.payoutCollectionPartner ?? 0n).toString(),
      closeCase: input.closeCase,
      createFollowUp: input.createFollowUp,
      idempotencyKey: input.idempotencyKey ?? '',
      actor: partner.company_name,
    },
    callCtx(req),
  );
  const p = out.payment!;
  const payment = {
    paymentId: p.id,
    caseReference: out.reference,
    date: answerDate(p.date),
    paymentAmount: money(p.amount, currency),
    payoutCreditor: money(p.payoutCreditor, currency),
    payoutCollectionPartner: money(p.payoutCollectionPartner, currency),
    platformFee: money(p.platformFee, currency),
    paymentRecipient: p.recipient,
    commissionPaymentStatus: p.commissionStatus,
    closeCase: input.closeCase,
    caseClosed: out.caseClosed,
    closeCode: out.closeCode || null,
    remainingAmount: money(out.remainder, currency),
    warnings: out.warnings,
  };
  // replayed: the ledger already held a payment for this Idempotency-Key (its first answer was lost in a crash)
  return { payment, replayed: out.replayed };
}

/**
 * Which cases a payment route may touch. `/cases/{id}/payments…`: any case of the caller.
 * `/managed-cases/{id}/payments…` (SPEC §10): only the test cases the caller created itself, and the
 * whole amount goes to the creditor; a production case of the caller answers 400, nothing recorded.
 */
interface PaymentScope {
  readonly prefix: '/cases' | '/managed-cases';
  /** checks the case before anything is read or written; the error type a missing case answers with */
  check(req: FastifyRequest, caseId: string, notFound: 'CaseNotFound' | 'PaymentNotFound'): Promise<void>;
  /** every payment whole to the creditor when no payouts are sent */
  readonly wholeToCreditor: boolean;
}

const ANY_CASE: PaymentScope = { prefix: '/cases', check: async () => undefined, wholeToCreditor: false };

function managedScope(ctx: GatewayContext): PaymentScope {
  return {
    prefix: '/managed-cases',
    wholeToCreditor: true,
    async check(req, caseId, notFound) {
      const partnerId = partnerOf(req).id;
      try {
        await ctx.cases.GetCase({ partnerId, caseId, reference: '', managedOnly: true }, callCtx(req));
        return;
      } catch (error) {
        if (!(error instanceof DomainError) || error.type !== 'CaseNotFound') throw error;
      }
      // not one the caller created: a production case of its own is a 400 (SPEC §10), anything else 404
      const c = await ctx.cases.GetCase({ partnerId, caseId, reference: '', managedOnly: false }, callCtx(req)).catch((error: unknown) => {
        if (error instanceof DomainError && error.type === 'CaseNotFound') return undefined;
        throw error;
      });
      if (c && !c.isTest)
        throw validationError([
          { field: 'id', message: 'id: payments under /managed-cases are for test cases only; record on a production case with /cases/{id}/payments' },
        ]);
      throw new DomainError(notFound, notFound === 'CaseNotFound' ? 'Case not found' : 'Payment not found');
    },
  };
}

/** The whole amount to the creditor, none to the partner (and so no platform fee): a managed test payment. */
const wholeToCreditor = (amount: bigint | undefined) => (amount === undefined ? undefined : { payoutCreditor: amount, payoutCollectionPartner: 0n });

export function paymentRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  for (const scope of [ANY_CASE, managedScope(ctx)]) scopedPaymentRoutes(app, ctx, scope);
}

function scopedPaymentRoutes(app: FastifyInstance, ctx: GatewayContext, scope: PaymentScope): void {
  const { prefix } = scope;
  if (prefix === '/cases') {
    app.post<IdParams>('/cases/:id/payments', async (req, reply) => {
      const key = idempotencyKeyOf(req);
      const caseId = caseIdOf(req);
      return idempotent(ctx, req, reply, `/cases/${caseId}/payments`, async () => {
        const currency = await currencyOf(ctx, req, caseId);
        const f = api.recordPayment.readBody(req.body);
        const date = f.get('date');
        const { amount, explicitSplit } = splitFields(f, currency);
        const recipient = f.get('paymentRecipient');
        const status = f.get('commissionPaymentStatus');
        if (recipient === 'Creditor' && status === undefined && !f.fields.problems.some((p) => p.field === 'commissionPaymentStatus')) {
          f.problem('commissionPaymentStatus', 'is required when paymentRecipient is Creditor');
        }
        const closeCase = f.get('closeCase');
        const createFollowUp = f.get('createUnpaidCommissionFollowUp');
        f.check();
        const out = await recordPaymentCall(ctx, req, caseId, {
          date: date!,
          amount: amount!,
          recipient: recipient!,
          commissionStatus: status,
          explicitSplit,
          closeCase,
          createFollowUp,
          idempotencyKey: key,
        });
        return { status: 200, body: out.payment, replayed: out.replayed };
      });
    });
  } else {
    app.post<IdParams>('/managed-cases/:id/payments', async (req, reply) => {
      const key = idempotencyKeyOf(req);
      const caseId = caseIdOf(req);
      return idempotent(ctx, req, reply, `/managed-cases/${caseId}/payments`, async () => {
        await scope.check(req, caseId, 'CaseNotFound');
        const currency = await currencyOf(ctx, req, caseId);
        const f = api.recordManagedPayment.readBody(req.body);
        const date = f.get('date');
        const amount = f.get('paymentAmount', { currency });
        const closeCase = f.get('closeCase');
        f.check();
        // the partner passes everything on to the creditor: no commission, so nothing to follow up
        const input = {
          date: date!,
          amount: amount!,
          recipient: 'CollectionPartner',
          commissionStatus: undefined,
          explicitSplit: wholeToCreditor(amount),
          closeCase,
          createFollowUp: false,
          idempotencyKey: key,
        } as const;
        const { payment, replayed } = await recordPaymentCall(ctx, req, caseId, input);
        const body = {
          paymentId: payment.paymentId,
          caseReference: payment.caseReference,
          date: payment.date,
          paymentAmount: payment.paymentAmount,
          caseClosed: payment.caseClosed,
          remainingAmount: payment.remainingAmount,
        };
        return { status: 200, body, replayed };
      });
    });
  }

  app.get<IdParams>(`${prefix}/:id/payments`, async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    await scope.check(req, caseId, 'CaseNotFound');
    const currency = await currencyOf(ctx, req, caseId);
    const f = (prefix === '/cases' ? api.listPayments : api.listManagedPayments).readQuery(req.query);
    const dateFrom = f.get('dateFrom');
    const dateTo = f.get('dateTo');
    const minAmount = f.get('minAmount', { currency });
    const maxAmount = f.get('maxAmount', { currency });
    const asked = requestedPage(f);
    f.check();
    const out = await ctx.ledger.ListPayments(
      {
        partnerId: partner.id,
        caseId,
        dateFrom: dateFrom ?? '',
        dateTo: dateTo ?? '',
        minAmount: minAmount?.toString() ?? '',
        maxAmount: maxAmount?.toString() ?? '',
        page: asked?.page ?? 0,
        pageSize: asked?.pageSize ?? 0,
      },
      callCtx(req),
    );
    const a = out.account!;
    const payments = out.payments.map((p) => paymentJson(p, { caseId, reference: a.reference, lifecycle: a.lifecycle }));
    return listOrPage('payments', payments, asked, out.totalResults);
  });

  const paymentIds = (req: FastifyRequest<PaymentParams>) => {
    const paymentId = pathId(req.params.paymentId, 'PaymentNotFound');
    return { caseId: pathId(req.params.id, 'PaymentNotFound'), paymentId };
  };

  const paymentResponse = async (req: FastifyRequest, caseId: string, p: ledgerV1.Payment__Output | null, reference: string) => {
    const list = await ctx.ledger.GetAccounts({ partnerId: partnerOf(req).id, caseIds: [caseId] }, callCtx(req));
    const lifecycle = list.accounts[0]?.lifecycle ?? 'Active';
    return paymentJson(p!, { caseId, reference, lifecycle });
  };

  app.put<PaymentParams>(`${prefix}/:id/payments/:paymentId`, async (req) => {
    const partner = partnerOf(req);
    const { caseId, paymentId } = paymentIds(req);
    await scope.check(req, caseId, 'PaymentNotFound');
    const currency = await currencyOf(ctx, req, caseId, 'PaymentNotFound');
    const f = (prefix === '/cases' ? api.updatePayment : api.updateManagedPayment).readBody(req.body);
    const date = f.get('date');
    const split = splitFields(f, currency);
    const explicitSplit = split.explicitSplit ?? (scope.wholeToCreditor ? wholeToCreditor(split.amount) : undefined);
    const recipient = f.get('paymentRecipient');
    const status = f.get('commissionPaymentStatus');
    const consent = f.get('reopenCaseIfNeeded');
    f.check();
    const out = await ctx.ledger.UpdatePayment(
      {
        partnerId: partner.id,
        caseId,
        paymentId,
        date: date!,
        amount: split.amount!.toString(),
        recipient: recipient!,
        commissionStatus: status ?? '',
        explicitSplit: explicitSplit !== undefined,
        payoutCreditor: (explicitSplit?.payoutCreditor ?? 0n).toString(),
        payoutCollectionPartner: (explicitSplit?.payoutCollectionPartner ?? 0n).toString(),
        reopenConsent: consent,
        actor: partner.company_name,
      },
      callCtx(req),
    );
    return paymentResponse(req, caseId, out.payment, out.reference);
  });

  app.delete<PaymentParams>(`${prefix}/:id/payments/:paymentId`, async (req, reply) => {
    const partner = partnerOf(req);
    const { caseId, paymentId } = paymentIds(req);
    await scope.check(req, caseId, 'PaymentNotFound');
    const reopenConsent = (prefix === '/cases' ? api.deletePayment : api.deleteManagedPayment).readQuery(req.query).get('reopenCaseIfNeeded');
    await ctx.ledger.DeletePayment({ partnerId: partner.id, caseId, paymentId, reopenConsent, actor: partner.company_name }, callCtx(req));
    return reply.code(204).send();
  });

  if (prefix !== '/cases') return;
  app.post<PaymentParams>('/cases/:id/payments/:paymentId/commission', async (req) => {
    const partner = partnerOf(req);
    const { caseId, paymentId } = paymentIds(req);
    const f = api.settleCommission.readBody(req.body);
    f.get('status');
    f.check();
    const out = await ctx.ledger.SettleCommission({ partnerId: partner.id, caseId, paymentId, actor: partner.company_name }, callCtx(req));
    return paymentResponse(req, caseId, out.payment, out.reference);
  });
}
