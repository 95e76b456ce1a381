// Payments (SPEC §4): record with idempotency, list, edit, delete, commission settlement.
import { DomainError, type CommissionStatus, type PaymentRecipient } from '@pp/domain';
import { answerDate } from '@pp/events';
import type { ledgerV1 } from '@pp/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as api from '../api';
import { UUID } from '../body';
import { callCtx, currencyOf, partnerOf, type GatewayContext } from '../context';
import { idempotencyKeyOf, idempotent } from '../idempotent';
import { money, paymentJson } from '../mappers';
import type { Reader } from '../schema';
import { caseIdOf } from './cases';

type IdParams = { Params: { id: string } };
type PaymentParams = { Params: { id: string; paymentId: string } };

/** Mirrors a close/reopen into case-lifecycle at once; the Kafka consumer converges it anyway. */
async function mirror(ctx: GatewayContext, req: FastifyRequest, events: ledgerV1.AccountEvent__Output[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await ctx.cases.ApplyAccountEvents({ events }, callCtx(req));
  } catch (error) {
    ctx.logger.warn({ err: error, requestId: req.id }, 'lifecycle mirror failed; the event consumer will converge it');
  }
}

type SplitFields = Pick<api.BodyOf<typeof api.recordPayment> & api.BodyOf<typeof api.updatePayment>, 'paymentAmount' | 'payoutCreditor' | 'payoutCollectionPartner'>;

/** The amount and the explicit split; payoutCreditor and payoutCollectionPartner come both or neither (api: bodyRules). */
function splitFields(f: Reader<SplitFields>, currency: string) {
  const amount = f.get('paymentAmount', { currency });
  const hasCreditor = f.has('payoutCreditor');
  const hasPartner = f.has('payoutCollectionPartner');
  const payoutCreditor = f.get('payoutCreditor', { currency });
  const payoutPartner = f.get('payoutCollectionPartner', { currency });
  if (hasCreditor !== hasPartner) f.fields.problems.push({ field: hasCreditor ? 'payoutCollectionPartner' : 'payoutCreditor', message: 'payoutCreditor and payoutCollectionPartner must be sent together' });
  const explicitSplit = hasCreditor && hasPartner && payoutCreditor !== undefined && payoutPartner !== undefined ? { payoutCreditor, payoutCollectionPartner: payoutPartner } : undefined;
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
  await mirror(ctx, req, out.accountEvents);
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

export function paymentRoutes(app: FastifyInstance, ctx: GatewayContext): void {
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
      const out = await recordPaymentCall(ctx, req, caseId, { date: date!, amount: amount!, recipient: recipient!, commissionStatus: status, explicitSplit, closeCase, createFollowUp, idempotencyKey: key });
      return { status: 200, body: out.payment, replayed: out.replayed };
    });
  });

  app.get<IdParams>('/cases/:id/payments', async (req) => {
    const partner = partnerOf(req);
    const caseId = caseIdOf(req);
    const currency = await currencyOf(ctx, req, caseId);
    const f = api.listPayments.readQuery(req.query);
    const dateFrom = f.get('dateFrom');
    const dateTo = f.get('dateTo');
    const minAmount = f.get('minAmount', { currency });
    const maxAmount = f.get('maxAmount', { currency });
    f.check();
    const out = await ctx.ledger.ListPayments(
      { partnerId: partner.id, caseId, dateFrom: dateFrom ?? '', dateTo: dateTo ?? '', minAmount: minAmount?.toString() ?? '', maxAmount: maxAmount?.toString() ?? '' },
      callCtx(req),
    );
    const a = out.account!;
    return out.payments.map((p) => paymentJson(p, { caseId, reference: a.reference, lifecycle: a.lifecycle }));
  });

  const paymentIds = (req: FastifyRequest<PaymentParams>) => {
    if (!UUID.test(req.params.paymentId)) throw new DomainError('PaymentNotFound', 'Payment not found');
    return { caseId: caseIdOf(req as unknown as FastifyRequest<IdParams>, 'PaymentNotFound'), paymentId: req.params.paymentId.toLowerCase() };
  };

  const paymentResponse = async (req: FastifyRequest, caseId: string, p: ledgerV1.Payment__Output | null, reference: string) => {
    const list = await ctx.ledger.GetAccounts({ partnerId: partnerOf(req).id, caseIds: [caseId] }, callCtx(req));
    const lifecycle = list.accounts[0]?.lifecycle ?? 'Active';
    return paymentJson(p!, { caseId, reference, lifecycle });
  };

  app.put<PaymentParams>('/cases/:id/payments/:paymentId', async (req) => {
    const partner = partnerOf(req);
    const { caseId, paymentId } = paymentIds(req);
    const currency = await currencyOf(ctx, req, caseId, 'PaymentNotFound');
    const f = api.updatePayment.readBody(req.body);
    const date = f.get('date');
    const { amount, explicitSplit } = splitFields(f, currency);
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
        amount: amount!.toString(),
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
    await mirror(ctx, req, out.accountEvents);
    return paymentResponse(req, caseId, out.payment, out.reference);
  });

  app.delete<PaymentParams>('/cases/:id/payments/:paymentId', async (req, reply) => {
    const partner = partnerOf(req);
    const { caseId, paymentId } = paymentIds(req);
    const reopenConsent = api.deletePayment.readQuery(req.query).get('reopenCaseIfNeeded');
    const out = await ctx.ledger.DeletePayment({ partnerId: partner.id, caseId, paymentId, reopenConsent, actor: partner.company_name }, callCtx(req));
    await mirror(ctx, req, out.accountEvents);
    return reply.code(204).send();
  });

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
