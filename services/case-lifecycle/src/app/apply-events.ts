// Mirrors the ledger's decisions into the case lifecycle and the public event log. Idempotent by
// event id (inbox), so the synchronous path from the gateway and the Kafka consumer can both run.
import { claimInbox } from '@pp/platform';
import { currencyDigits, toMajor } from '@pp/domain';
import { majorUnits, publicPayment, type AnyEnvelope } from '@pp/events';
import * as q from '../infra/cases.queries';
import { SCHEMA } from '../migrations';
import type { CaseContext } from './context';
import { appendPublic } from './public-events';

export interface AccountChange {
  eventId: string;
  type: string;
  caseId: string;
  closeCode: string;
  comment: string;
  occurredAt: string;
  remainder: string;
  oldLifecycle: string;
  newLifecycle: string;
}

const CONSUMER = 'case-lifecycle';

export async function applyAccountChange(ctx: CaseContext, change: AccountChange): Promise<boolean> {
  // Asked before the transaction: no database connection is held while waiting for the ledger (the
  // embedded default has a single one).
  const ledgerState = await ledgerLifecycle(ctx, change.caseId, change.eventId);
  return ctx.uow.run(async (tx) => {
    const { trx } = tx;
    if (!(await claimInbox(trx, SCHEMA, CONSUMER, change.eventId))) return false;
    const row = await q.lockCaseById(trx, change.caseId);
    if (!row) return true; // a purged test case: nothing to mirror
    const at = new Date(change.occurredAt);
    const closing = change.type === 'account.closed';
    const base = { caseId: row.id, reference: row.reference };
    const remainder = majorUnits(change.remainder, row.currency);
    await appendPublic(ctx, tx, row, 'case.updated', { ...base, oldLifecycle: change.oldLifecycle, newLifecycle: change.newLifecycle, remainder }, at);
    if (closing) await appendPublic(ctx, tx, row, 'case.closed', { ...base, closeCode: change.closeCode, comment: change.comment || null, remainder }, at);
    // Another applier may have mirrored a later ledger state meanwhile: never go back in time.
    if (ledgerState && (!row.ledger_seen_at || ledgerState.seenAt.getTime() >= new Date(row.ledger_seen_at).getTime())) {
      await q.setLifecycle(
        trx,
        row.id,
        {
          lifecycle: ledgerState.lifecycle,
          close_code: ledgerState.close_code,
          finished_at: ledgerState.finished_at,
          ledger_seen_at: ledgerState.seenAt,
          event_sequence: row.event_sequence,
        },
        ledgerFacts(row, change.remainder, at),
      );
    } else {
      await q.bumpSequence(trx, row.id, row.event_sequence, ledgerFacts(row, change.remainder, at));
    }
    return true;
  });
}

/**
 * The lifecycle to mirror is the ledger's current one, not the change's `newLifecycle`: the gateway's
 * synchronous mirror and the consumer can apply two changes of one case in another order than the
 * ledger took them (a reopen answered to the gateway can arrive after the close that followed it).
 * Each applier reads the ledger after the change it applies was committed, and the case keeps the
 * newest ledger state it has seen (by the account's updatedAt), so the last state always wins. When
 * the ledger cannot be asked, this throws and the consumer applies the change later.
 */
async function ledgerLifecycle(ctx: CaseContext, caseId: string, requestId: string) {
  const owner = await q.partnerOfCase(ctx.db, caseId);
  if (!owner) return undefined; // a purged test case
  const out = await ctx.ledger.GetAccounts({ partnerId: owner, caseIds: [caseId] }, { requestId });
  const account = out.accounts[0];
  if (!account) throw new Error(`ledger account of case ${caseId} not found`);
  const closed = account.lifecycle === 'Closed';
  return {
    lifecycle: account.lifecycle,
    close_code: closed ? account.closeCode || null : null,
    finished_at: closed && account.closedAt ? new Date(account.closedAt) : null,
    seenAt: new Date(account.updatedAt),
  };
}

/** The remainder after a ledger event (minor units) as the case keeps its copy: major units, for sorting. */
export function ledgerFacts(row: Pick<q.CaseRow, 'currency'>, remainderMinor: string, at: Date): q.LedgerFacts {
  return { remainder: String(toMajor(BigInt(remainderMinor), currencyDigits(row.currency))), at };
}

/** Consumer of the ledger's payment events. */
export async function applyLedgerEvent(ctx: CaseContext, event: AnyEnvelope): Promise<void> {
  // not the ledger's: case-lifecycle is its producer, follow-up its consumer (never on this topic)
  if (event.type === 'webhook.disabled') return;
  const p = event.payload;
  switch (event.type) {
    case 'account.closed':
    case 'account.reopened':
      await applyAccountChange(ctx, {
        eventId: event.id,
        type: event.type,
        caseId: p.caseId,
        closeCode: event.type === 'account.closed' ? event.payload.closeCode : '',
        comment: event.type === 'account.closed' ? (event.payload.comment ?? '') : '',
        occurredAt: event.occurredAt,
        remainder: p.remainder,
        oldLifecycle: event.payload.oldLifecycle,
        newLifecycle: event.payload.newLifecycle,
      });
      return;
    case 'account.fees_updated':
      // no public event (the lifecycle did not change): only the remainder copy follows the new balance
      await ctx.uow.run(async ({ trx }) => {
        if (!(await claimInbox(trx, SCHEMA, CONSUMER, event.id))) return;
        const row = await q.lockCaseById(trx, p.caseId);
        if (row) await q.bumpSequence(trx, row.id, row.event_sequence, ledgerFacts(row, p.remainder, new Date(event.occurredAt)));
      });
      return;
    case 'payment.recorded':
    case 'payment.updated':
    case 'payment.deleted':
    case 'commission.settled':
      await ctx.uow.run(async (tx) => {
        const { trx } = tx;
        if (!(await claimInbox(trx, SCHEMA, CONSUMER, event.id))) return;
        const row = await q.lockCaseById(trx, p.caseId);
        if (!row) return;
        const type = (
          {
            'payment.recorded': 'payment.created',
            'payment.updated': 'payment.updated',
            'payment.deleted': 'payment.deleted',
            'commission.settled': 'payment.updated',
          } as const
        )[event.type];
        const payment = event.payload.payment;
        const data =
          event.type === 'payment.deleted'
            ? { caseId: row.id, reference: row.reference, paymentId: payment.id, paymentAmount: majorUnits(payment.amount, row.currency) }
            : {
                caseId: row.id,
                reference: row.reference,
                payment: publicPayment(payment, row.currency, { caseId: row.id, reference: row.reference, lifecycle: row.lifecycle }),
              };
        await appendPublic(ctx, tx, row, type, data, new Date(event.occurredAt));
        await q.bumpSequence(trx, row.id, row.event_sequence, ledgerFacts(row, p.remainder, new Date(event.occurredAt)));
      });
      return;
  }
}
