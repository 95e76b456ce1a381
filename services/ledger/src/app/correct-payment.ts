// Edit and delete: a reversal of the posted payment plus (for an edit) a re-application, under the
// account lock, refused when the payout is invoiced or when reopening a Paid case lacks consent.
import {
  computeSplit,
  decideCorrection,
  DomainError,
  effectiveCommissionStatus,
  splitTolerance,
  type CommissionStatus,
  type PaymentRecipient,
} from '@pp/domain';
import type { TxContext } from '@pp/platform';
import * as q from '../infra/ledger.queries';
import { accountState, caseRef, emitEvent, snapshot, type AccountChange, type LedgerContext } from './context';

export interface CorrectionResult {
  payment: q.PaymentRow | undefined;
  account: q.AccountRow;
  accountChanges: AccountChange[];
}

export interface UpdatePaymentCommand {
  partnerId: string;
  caseId: string;
  paymentId: string;
  date: string;
  amount: bigint;
  recipient: PaymentRecipient;
  commissionStatus: CommissionStatus | undefined;
  explicitSplit: { payoutCreditor: bigint; payoutCollectionPartner: bigint } | undefined;
  reopenConsent: boolean;
  actor: string;
  requestId?: string;
}

export interface DeletePaymentCommand {
  partnerId: string;
  caseId: string;
  paymentId: string;
  reopenConsent: boolean;
  actor: string;
  requestId?: string;
}

async function lockBoth(tx: TxContext, partnerId: string, caseId: string, paymentId: string) {
  const account = await q.lockAccount(tx.trx, partnerId, caseId);
  const payment = account ? await q.lockPayment(tx.trx, partnerId, caseId, paymentId) : undefined;
  if (!account || !payment) throw new DomainError('PaymentNotFound', 'Payment not found');
  return { account, payment };
}

async function reopenIfDecided(
  ctx: LedgerContext,
  tx: TxContext,
  account: q.AccountRow,
  reopen: boolean,
  remainderAfter: bigint,
  actor: string,
  requestId: string | undefined,
  paymentId: string,
): Promise<AccountChange[]> {
  if (!reopen) return [];
  const now = ctx.clock();
  await q.updateAccount(tx.trx, account.case_id, { lifecycle: 'Active', close_code: null, closed_at: null });
  await q.appendAudit(tx.trx, {
    id: ctx.newId(),
    case_id: account.case_id,
    type: 'CaseReopened',
    payment_id: paymentId,
    before: { lifecycle: account.lifecycle, closeCode: account.close_code },
    after: { lifecycle: 'Active', closeCode: null, remainder: remainderAfter.toString() },
    actor,
    at: now,
  });
  const eventId = emitEvent(
    ctx,
    tx,
    'account.reopened',
    account.case_id,
    { ...caseRef(account, remainderAfter), oldLifecycle: account.lifecycle, newLifecycle: 'Active' },
    requestId,
  );
  return [
    {
      eventId,
      type: 'account.reopened',
      caseId: account.case_id,
      closeCode: '',
      comment: '',
      occurredAt: now.toISOString(),
      remainder: remainderAfter.toString(),
      oldLifecycle: account.lifecycle,
      newLifecycle: 'Active',
    },
  ];
}

export async function updatePayment(ctx: LedgerContext, cmd: UpdatePaymentCommand): Promise<CorrectionResult> {
  return ctx.uow.run(async (tx) => {
    const { account, payment } = await lockBoth(tx, cmd.partnerId, cmd.caseId, cmd.paymentId);
    const state = accountState(account);
    const totalPaymentsAfter = state.totalPayments - BigInt(payment.amount) + cmd.amount;
    const decision = decideCorrection(state, { totalPaymentsAfter, invoiced: payment.invoice_id !== null, reopenConsent: cmd.reopenConsent });
    if (!decision.ok) throw decision.error;
    // An edit that leaves the status out keeps what the payment had, where the recipient allows it.
    const requested =
      cmd.commissionStatus ?? (cmd.recipient === 'Creditor' && payment.recipient === 'Creditor' ? (payment.commission_status as CommissionStatus) : undefined);
    const status = effectiveCommissionStatus(cmd.recipient, requested);
    if (status === 'missing')
      throw new DomainError('ValidationError', 'commissionPaymentStatus is required when paymentRecipient is Creditor', 'commissionPaymentStatus');
    const split = computeSplit(
      cmd.amount,
      { successFeePpm: BigInt(account.success_fee_ppm), revenueSharePpm: BigInt(account.revenue_share_ppm) },
      cmd.explicitSplit,
      splitTolerance(account.digits),
    );
    const before = snapshot(payment);
    const now = ctx.clock();
    await q.appendJournal(tx.trx, {
      case_id: cmd.caseId,
      payment_id: payment.id,
      kind: 'reverse',
      amount: BigInt(payment.amount),
      payoutCreditor: BigInt(payment.payout_creditor),
      payoutCollectionPartner: BigInt(payment.payout_collection_partner),
      platformFee: BigInt(payment.platform_fee),
    });
    await q.appendJournal(tx.trx, { case_id: cmd.caseId, payment_id: payment.id, kind: 'apply', amount: cmd.amount, ...split });
    await q.updatePayment(tx.trx, payment.id, { date: cmd.date, amount: cmd.amount, recipient: cmd.recipient, commission_status: status, ...split, now });
    await q.updateAccount(tx.trx, cmd.caseId, { total_payments: totalPaymentsAfter.toString() });
    const updated = (await q.findPayment(tx.trx, cmd.partnerId, cmd.caseId, payment.id))!;
    const after = snapshot(updated);
    await q.appendAudit(tx.trx, {
      id: ctx.newId(),
      case_id: cmd.caseId,
      type: 'PaymentUpdated',
      payment_id: payment.id,
      before,
      after,
      actor: cmd.actor,
      at: now,
    });
    const changes = await reopenIfDecided(ctx, tx, account, decision.value.reopen, decision.value.remainderAfter, cmd.actor, cmd.requestId, payment.id);
    const remainderAfter = decision.value.remainderAfter;
    emitEvent(ctx, tx, 'payment.updated', cmd.caseId, { ...caseRef(account, remainderAfter), before, payment: after }, cmd.requestId);
    return { payment: updated, account: (await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId))!, accountChanges: changes };
  });
}

export async function deletePayment(ctx: LedgerContext, cmd: DeletePaymentCommand): Promise<CorrectionResult> {
  return ctx.uow.run(async (tx) => {
    const { account, payment } = await lockBoth(tx, cmd.partnerId, cmd.caseId, cmd.paymentId);
    const state = accountState(account);
    const totalPaymentsAfter = state.totalPayments - BigInt(payment.amount);
    const decision = decideCorrection(state, { totalPaymentsAfter, invoiced: payment.invoice_id !== null, reopenConsent: cmd.reopenConsent });
    if (!decision.ok) throw decision.error;
    const before = snapshot(payment);
    await q.appendJournal(tx.trx, {
      case_id: cmd.caseId,
      payment_id: payment.id,
      kind: 'reverse',
      amount: BigInt(payment.amount),
      payoutCreditor: BigInt(payment.payout_creditor),
      payoutCollectionPartner: BigInt(payment.payout_collection_partner),
      platformFee: BigInt(payment.platform_fee),
    });
    await q.deletePayment(tx.trx, payment.id);
    await q.updateAccount(tx.trx, cmd.caseId, { total_payments: totalPaymentsAfter.toString(), payment_count: account.payment_count - 1 });
    await q.appendAudit(tx.trx, {
      id: ctx.newId(),
      case_id: cmd.caseId,
      type: 'PaymentDeleted',
      payment_id: payment.id,
      before,
      after: null,
      actor: cmd.actor,
      at: ctx.clock(),
    });
    const changes = await reopenIfDecided(ctx, tx, account, decision.value.reopen, decision.value.remainderAfter, cmd.actor, cmd.requestId, payment.id);
    emitEvent(ctx, tx, 'payment.deleted', cmd.caseId, { ...caseRef(account, decision.value.remainderAfter), payment: before }, cmd.requestId);
    return { payment: undefined, account: (await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId))!, accountChanges: changes };
  });
}

export async function settleCommission(
  ctx: LedgerContext,
  cmd: { partnerId: string; caseId: string; paymentId: string; actor: string; requestId?: string },
): Promise<CorrectionResult> {
  return ctx.uow.run(async (tx) => {
    const { account, payment } = await lockBoth(tx, cmd.partnerId, cmd.caseId, cmd.paymentId);
    if (payment.recipient !== 'Creditor')
      throw new DomainError('ValidationError', 'Commission can only be settled on a payment whose recipient is Creditor', 'paymentRecipient');
    if (payment.commission_status === 'Paid') return { payment, account, accountChanges: [] };
    const before = snapshot(payment);
    const now = ctx.clock();
    await q.setCommissionStatus(tx.trx, payment.id, 'Paid', now);
    const updated = (await q.findPayment(tx.trx, cmd.partnerId, cmd.caseId, payment.id))!;
    const after = snapshot(updated);
    await q.appendAudit(tx.trx, {
      id: ctx.newId(),
      case_id: cmd.caseId,
      type: 'CommissionSettled',
      payment_id: payment.id,
      before,
      after,
      actor: cmd.actor,
      at: now,
    });
    const remainder = BigInt(account.gross_amount) + BigInt(account.total_fees) - BigInt(account.total_payments);
    emitEvent(ctx, tx, 'commission.settled', cmd.caseId, { ...caseRef(account, remainder), payment: after }, cmd.requestId);
    return { payment: updated, account, accountChanges: [] };
  });
}
