// What the ledger's use cases need: a unit of work, the pool for reads, a clock and an id source.
import type { AccountState, CloseCode, Lifecycle } from '@pp/domain';
import { makeEnvelope, TOPICS, type EventPayloads, type EventType, type PaymentSnapshot } from '@pp/events';
import type { Db, TxContext, UnitOfWork } from '@pp/platform';
import type { AccountRow, PaymentRow } from '../infra/ledger.queries';

export interface LedgerContext {
  readonly db: Db;
  readonly uow: UnitOfWork;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Test-only fault injection (see LedgerFault in service.ts); absent in normal operation. */
  readonly faults?: LedgerFaults;
}

export interface LedgerFaults {
  /** Runs right after a record-payment transaction committed, before the answer is sent. */
  afterRecordCommit(): void;
}

export function accountState(row: AccountRow): AccountState {
  return {
    lifecycle: row.lifecycle as Lifecycle,
    closeCode: row.close_code as CloseCode | null,
    grossAmount: BigInt(row.gross_amount),
    totalFees: BigInt(row.total_fees),
    totalPayments: BigInt(row.total_payments),
    paymentCount: row.payment_count,
  };
}

export function toDateString(value: string | Date): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return value.slice(0, 10);
}

export function snapshot(p: PaymentRow): PaymentSnapshot {
  return {
    id: p.id,
    date: toDateString(p.date),
    amount: p.amount,
    recipient: p.recipient,
    commissionStatus: p.commission_status,
    payoutCreditor: p.payout_creditor,
    payoutCollectionPartner: p.payout_collection_partner,
    platformFee: p.platform_fee,
    invoiceId: p.invoice_id,
    createdAt: new Date(p.created_at).toISOString(),
    updatedAt: new Date(p.updated_at).toISOString(),
  };
}

export function caseRef(account: AccountRow, remainder: bigint) {
  return {
    caseId: account.case_id,
    partnerId: account.partner_id,
    reference: account.reference,
    isTest: account.is_test,
    currency: account.currency,
    notifyEmail: account.notify_email,
    remainder: remainder.toString(),
  };
}

/** Writes one ledger event to the outbox of the current transaction; returns its id. */
export function emitEvent<T extends EventType>(
  ctx: LedgerContext,
  tx: TxContext,
  type: T,
  caseId: string,
  payload: EventPayloads[T],
  requestId?: string,
): string {
  const envelope = makeEnvelope(type, caseId, payload, { id: ctx.newId(), occurredAt: ctx.clock(), producer: 'ledger' });
  tx.emit({
    id: envelope.id,
    topic: TOPICS.paymentEvents,
    key: caseId,
    value: JSON.stringify(envelope),
    headers: requestId ? { 'x-request-id': requestId } : {},
  });
  return envelope.id;
}

/** The account-level change (closed/reopened) also returned synchronously, so the caller can mirror it at once. */
export interface AccountChange {
  eventId: string;
  type: 'account.closed' | 'account.reopened';
  caseId: string;
  closeCode: string;
  comment: string;
  occurredAt: string;
  remainder: string;
  oldLifecycle: string;
  newLifecycle: string;
}
