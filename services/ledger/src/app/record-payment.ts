// Records one payment: split, revenue share, balance and the closeCase rule, all under the account lock.
import {
  computeSplit,
  decideRecord,
  DomainError,
  effectiveCommissionStatus,
  paymentWarnings,
  remainderOf,
  splitTolerance,
  type CommissionStatus,
  type PaymentRecipient,
} from '@pp/domain';
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

/**
 * The hot path: one locking read (the account, and any payment already recorded under this key) and one
 * write statement (payment, payout, posting, audit, outbox and the account's totals), each prepared;
 * the answer is built from what was decided, with no read-back.
 */
export async function recordPayment(ctx: LedgerContext, cmd: RecordPaymentCommand): Promise<RecordPaymentResult> {
  try {
    const out = await ctx.uow.run(async (tx) => {
      const locked = await q.lockForRecord(tx.trx, cmd.partnerId, cmd.caseId, cmd.idempotencyKey ?? null);
      if (!locked) return (await findReplay(ctx, cmd)) ?? Promise.reject(new DomainError('CaseNotFound', 'Case not found'));
      const { account, keyed } = locked;
      // The key's payment, committed before (a retry after a crash) or by a concurrent request we waited for.
      if (keyed) return { payment: keyed, account, result: replayedResult(keyed, cmd), accountChanges: [], replayed: true };
      const state = accountState(account);
      const decision = decideRecord(state, cmd.amount, cmd.closeCase);
      if (!decision.ok) throw decision.error;
      const status = effectiveCommissionStatus(cmd.recipient, cmd.commissionStatus);
      if (status === 'missing')
        throw new DomainError('ValidationError', 'commissionPaymentStatus is required when paymentRecipient is Creditor', 'commissionPaymentStatus');
      const split = computeSplit(
        cmd.amount,
        { successFeePpm: BigInt(account.success_fee_ppm), revenueSharePpm: BigInt(account.revenue_share_ppm) },
        cmd.explicitSplit,
        splitTolerance(account.digits),
      );
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
      const payment: q.PaymentRow = {
        id: ctx.newId(),
        case_id: cmd.caseId,
        partner_id: cmd.partnerId,
        date: cmd.date,
        amount: cmd.amount.toString(),
        recipient: cmd.recipient,
        commission_status: status,
        idempotency_key: cmd.idempotencyKey ?? null,
        record_result: result,
        created_at: now,
        updated_at: now,
        payout_creditor: split.payoutCreditor.toString(),
        payout_collection_partner: split.payoutCollectionPartner.toString(),
        platform_fee: split.platformFee.toString(),
        invoice_id: null,
      };
      const after = snapshot(payment);
      const ref = caseRef(account, remainderAfter);
      const audit: q.RecordWrite['audit'][number][] = [{ id: ctx.newId(), type: 'PaymentRecorded', before: null, after }];
      emitEvent(ctx, tx, 'payment.recorded', cmd.caseId, { ...ref, payment: after, createFollowUp: cmd.createFollowUp }, cmd.requestId);
      const accountChanges: AccountChange[] = [];
      if (closeAsPaid) {
        audit.push({
          id: ctx.newId(),
          type: 'CaseClosed',
          before: { lifecycle: account.lifecycle, closeCode: null },
          after: { lifecycle: 'Closed', closeCode: 'Paid', remainder: remainderAfter.toString() },
        });
        const payload = { ...ref, closeCode: 'Paid', comment: null, oldLifecycle: account.lifecycle, newLifecycle: 'Closed' };
        const eventId = emitEvent(ctx, tx, 'account.closed', cmd.caseId, payload, cmd.requestId);
        accountChanges.push({
          eventId,
          type: 'account.closed',
          caseId: cmd.caseId,
          closeCode: 'Paid',
          comment: '',
          occurredAt: now.toISOString(),
          remainder: remainderAfter.toString(),
          oldLifecycle: account.lifecycle,
          newLifecycle: 'Closed',
        });
      }
      const totals = {
        total_payments: (state.totalPayments + cmd.amount).toString(),
        lifecycle: closeAsPaid ? 'Closed' : account.lifecycle,
        close_code: closeAsPaid ? 'Paid' : account.close_code,
        closed_at: closeAsPaid ? now : account.closed_at,
      };
      const paymentCount = await q.writeRecord(tx.trx, {
        payment: {
          ...payment,
          amount: cmd.amount,
          payout_creditor: split.payoutCreditor,
          payout_collection_partner: split.payoutCollectionPartner,
          platform_fee: split.platformFee,
          currency: account.currency,
          now,
        },
        actor: cmd.actor,
        audit,
        outbox: tx.takeEmitted(),
        account: totals,
      });
      return { payment, account: { ...account, ...totals, payment_count: paymentCount, updated_at: now }, result, accountChanges, replayed: false };
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
