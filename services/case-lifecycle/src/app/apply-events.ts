// Keeps this service's copy of the case lifecycle and the public event log, fed only by the ledger's
// events. The ledger owns the lifecycle: it decides under its account lock and writes the event in the
// same transaction; its outbox publishes one case's events in commit order, keyed by case id, so they
// arrive here in the ledger's order and each one is applied as it says. Idempotent by event id (inbox).
import { claimInbox } from '@pp/platform';
import { currencyDigits, toMajor } from '@pp/domain';
import { majorUnits, publicPayment, type AnyEnvelope } from '@pp/events';
import * as q from '../infra/cases.queries';
import { SCHEMA } from '../migrations';
import type { CaseContext } from './context';
import { appendPublic } from './public-events';

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

const CONSUMER = 'case-lifecycle';

export async function applyAccountChange(ctx: CaseContext, change: AccountChange): Promise<boolean> {
  return ctx.uow.run(async (tx) => {
    const { trx } = tx;
    if (!(await claimInbox(trx, SCHEMA, CONSUMER, change.eventId))) return false;
    const row = await q.lockCaseById(trx, change.caseId);
    if (!row) return true; // a purged test case: nothing to keep
    const at = new Date(change.occurredAt);
    const closing = change.type === 'account.closed';
    const base = { caseId: row.id, reference: row.reference };
    const remainder = majorUnits(change.remainder, row.currency);
    await appendPublic(ctx, tx, row, 'case.updated', { ...base, oldLifecycle: change.oldLifecycle, newLifecycle: change.newLifecycle, remainder }, at);
    if (closing) await appendPublic(ctx, tx, row, 'case.closed', { ...base, closeCode: change.closeCode, comment: change.comment || null, remainder }, at);
    await q.setLifecycle(
      trx,
      row.id,
      {
        lifecycle: change.newLifecycle,
        close_code: closing ? change.closeCode || null : null,
        finished_at: closing ? at : null,
        ledger_seen_at: at,
        event_sequence: row.event_sequence,
      },
      ledgerFacts(row, change.remainder, at),
    );
    return true;
  });
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
    case 'account.balance_announced':
      // no public event (the lifecycle did not change): only the remainder copy follows the balance
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
