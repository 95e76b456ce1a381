// Records one payment: split, revenue share, balance and the closeCase rule, all under the account lock.
import { computeSplit, decideRecord, DomainError, effectiveCommissionStatus, paymentWarnings, remainderOf, splitTolerance, type CommissionStatus, type PaymentRecipient } from '@pp/domain';
import * as q from '../infra/ledger.queries';
import { accountState, caseRef, emitEvent, snapshot, type AccountChange, type LedgerContext } from './context';

export interface RecordPaymentCommand {
  partnerId: string;
  caseId: string;
  date: string;
  amount: bigint;
  recipient: PaymentRecipient;
  commissionStatus: CommissionStatus | undefined;
  explicitSplit: { payoutCreditor: bigint; payoutCollectionPartner: bigint } | undefined;
  closeCase: boolean;
  createFollowUp: boolean;
  idempotencyKey: string | undefined;
  actor: string;
  requestId?: string;
}

export interface RecordPaymentResult {
  payment: q.PaymentRow;
  account: q.AccountRow;
  result: q.RecordResult;
  accountChanges: AccountChange[];
  replayed: boolean;
}

export async function recordPayment(ctx: LedgerContext, cmd: RecordPaymentCommand): Promise<RecordPaymentResult> {
  const replay = await findReplay(ctx, cmd);
  if (replay) return replay;
  try {
    const out = await ctx.uow.run(async (tx) => {
      const account = await q.lockAccount(tx.trx, cmd.partnerId, cmd.caseId);
      if (!account) throw new DomainError('CaseNotFound', 'Case not found');
      // A concurrent request with the same key may have committed while we waited for the lock.
      if (cmd.idempotencyKey) {
        const existing = await q.findPaymentByKey(tx.trx, cmd.partnerId, cmd.idempotencyKey);
        if (existing) return { payment: existing, account, result: replayedResult(existing, cmd), accountChanges: [], replayed: true };
      }
      const state = accountState(account);
      const decision = decideRecord(state, cmd.amount, cmd.closeCase);
      if (!decision.ok) throw decision.error;
      const status = effectiveCommissionStatus(cmd.recipient, cmd.commissionStatus);
      if (status === 'missing') throw new DomainError('ValidationError', 'commissionPaymentStatus is required when paymentRecipient is Creditor', 'commissionPaymentStatus');
      const split = computeSplit(cmd.amount, { successFeePpm: BigInt(account.success_fee_ppm), revenueSharePpm: BigInt(account.revenue_share_ppm) }, cmd.explicitSplit, splitTolerance(account.digits));
      const remainderBefore = remainderOf(state);
      const now = ctx.clock();
      const { closeAsPaid, remainderAfter } = decision.value;
      const result: q.RecordResult = {
        caseClosed: closeAsPaid,
        closeCode: closeAsPaid ? 'Paid' : null,
        remainder: remainderAfter.toString(),
        warnings: paymentWarnings(cmd.explicitSplit !== undefined, split.payoutCreditor, remainderBefore),
        ...(cmd.idempotencyKey ? { request: requestFingerprint(cmd) } : {}),
      };
      const paymentId = ctx.newId();
      await q.insertPayment(tx.trx, {
        id: paymentId,
        case_id: cmd.caseId,
        partner_id: cmd.partnerId,
        currency: account.currency,
        date: cmd.date,
        amount: cmd.amount,
        recipient: cmd.recipient,
        commission_status: status,
        idempotency_key: cmd.idempotencyKey ?? null,
        record_result: result,
        payout_creditor: split.payoutCreditor,
        payout_collection_partner: split.payoutCollectionPartner,
        platform_fee: split.platformFee,
        now,
      });
      await q.appendJournal(tx.trx, { case_id: cmd.caseId, payment_id: paymentId, kind: 'apply', amount: cmd.amount, ...split });
      const totals = { total_payments: (state.totalPayments + cmd.amount).toString(), payment_count: account.payment_count + 1 };
      await q.updateAccount(tx.trx, cmd.caseId, closeAsPaid ? { ...totals, lifecycle: 'Closed', close_code: 'Paid', closed_at: now } : totals);
      const payment = (await q.findPayment(tx.trx, cmd.partnerId, cmd.caseId, paymentId))!;
      const after = snapshot(payment);
      await q.appendAudit(tx.trx, { id: ctx.newId(), case_id: cmd.caseId, type: 'PaymentRecorded', payment_id: paymentId, before: null, after, actor: cmd.actor, at: now });
      const ref = caseRef(account, remainderAfter);
      emitEvent(ctx, tx, 'payment.recorded', cmd.caseId, { ...ref, payment: after, createFollowUp: cmd.createFollowUp }, cmd.requestId);
      const accountChanges: AccountChange[] = [];
      if (closeAsPaid) {
        await q.appendAudit(tx.trx, { id: ctx.newId(), case_id: cmd.caseId, type: 'CaseClosed', payment_id: paymentId, before: { lifecycle: account.lifecycle, closeCode: null }, after: { lifecycle: 'Closed', closeCode: 'Paid', remainder: remainderAfter.toString() }, actor: cmd.actor, at: now });
        const payload = { ...ref, closeCode: 'Paid', comment: null, oldLifecycle: account.lifecycle, newLifecycle: 'Closed' };
        const eventId = emitEvent(ctx, tx, 'account.closed', cmd.caseId, payload, cmd.requestId);
        accountChanges.push({ eventId, type: 'account.closed', caseId: cmd.caseId, closeCode: 'Paid', comment: '', occurredAt: now.toISOString(), remainder: remainderAfter.toString(), oldLifecycle: account.lifecycle, newLifecycle: 'Closed' });
      }
      const updated = (await q.findAccount(tx.trx, cmd.partnerId, cmd.caseId))!;
      return { payment, account: updated, result, accountChanges, replayed: false };
    });
    if (!out.replayed) ctx.faults?.afterRecordCommit();
    return out;
  } catch (error) {
    // Two first requests with one key on different cases: the unique constraint lets only one win.
    if (cmd.idempotencyKey && isUniqueViolation(error)) {
      const again = await findReplay(ctx, cmd);
      if (again) return again;
    }
    throw error;
  }
}

async function findReplay(ctx: LedgerContext, cmd: RecordPaymentCommand): Promise<RecordPaymentResult | undefined> {
  if (!cmd.idempotencyKey) return undefined;
  const existing = await q.findPaymentByKey(ctx.db, cmd.partnerId, cmd.idempotencyKey);
  if (!existing) return undefined;
  const account = await q.findAccount(ctx.db, cmd.partnerId, existing.case_id);
  if (!account) return undefined;
  return { payment: existing, account, result: replayedResult(existing, cmd), accountChanges: [], replayed: true };
}

/**
 * The gateway answers a repeated key itself; a retry reaches the ledger's own key only when the gateway
 * did not keep the first answer (it crashed, or the ledger died before answering). Such a retry is a
 * replay only if it is the same request; another case or body is a conflict (SPEC §4.2).
 */
function replayedResult(existing: q.PaymentRow, cmd: RecordPaymentCommand): q.RecordResult {
  const stored = existing.record_result.request;
  if (existing.case_id !== cmd.caseId || (stored !== undefined && stored !== requestFingerprint(cmd))) {
    throw new DomainError('IdempotencyConflict', 'This Idempotency-Key was used with a different request', 'Idempotency-Key');
  }
  return existing.record_result;
}

function requestFingerprint(cmd: RecordPaymentCommand): string {
  const split = cmd.explicitSplit ? [cmd.explicitSplit.payoutCreditor.toString(), cmd.explicitSplit.payoutCollectionPartner.toString()] : null;
  return JSON.stringify([cmd.caseId, cmd.date, cmd.amount.toString(), cmd.recipient, cmd.commissionStatus ?? null, split, cmd.closeCase, cmd.createFollowUp]);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}
