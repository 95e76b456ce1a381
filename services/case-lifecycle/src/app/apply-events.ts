// Mirrors the ledger's decisions into the case lifecycle and the public event log. Idempotent by
// event id (inbox), so the synchronous path from the gateway and the Kafka consumer can both run.
import { claimInbox, type Trx } from '@pp/platform';
import type { AnyEnvelope } from '@pp/events';
import * as q from '../infra/cases.queries';
import { SCHEMA } from '../migrations';
import type { CaseContext } from './context';

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

async function appendPublic(ctx: CaseContext, trx: Trx, row: q.CaseRow, type: string, data: Record<string, unknown>, at: Date): Promise<number> {
  const sequence = row.event_sequence + 1;
  row.event_sequence = sequence;
  await q.insertCaseEvent(trx, { id: ctx.newId(), case_id: row.id, partner_id: row.partner_id, type, sequence, is_test: row.is_test, data: { ...data, sequence }, created_at: at });
  return sequence;
}

export async function applyAccountChange(ctx: CaseContext, change: AccountChange): Promise<boolean> {
  return ctx.db.transaction(async (trx) => {
    if (!(await claimInbox(trx, SCHEMA, CONSUMER, change.eventId))) return false;
    const row = await q.lockCaseById(trx, change.caseId);
    if (!row) return true; // a purged test case: nothing to mirror
    const at = new Date(change.occurredAt);
    const closing = change.type === 'account.closed';
    const base = { caseId: row.id, reference: row.reference };
    await appendPublic(ctx, trx, row, 'case.updated', { ...base, oldLifecycle: change.oldLifecycle, newLifecycle: change.newLifecycle, remainder: change.remainder }, at);
    if (closing) await appendPublic(ctx, trx, row, 'case.closed', { ...base, closeCode: change.closeCode, comment: change.comment || null, remainder: change.remainder }, at);
    await q.setLifecycle(trx, row.id, {
      lifecycle: change.newLifecycle,
      close_code: closing ? change.closeCode : null,
      finished_at: closing ? at : null,
      event_sequence: row.event_sequence,
    });
    return true;
  });
}

/** Consumer of the ledger's payment events. */
export async function applyLedgerEvent(ctx: CaseContext, event: AnyEnvelope): Promise<void> {
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
    case 'payment.recorded':
    case 'payment.updated':
    case 'payment.deleted':
    case 'commission.settled':
      await ctx.db.transaction(async (trx) => {
        if (!(await claimInbox(trx, SCHEMA, CONSUMER, event.id))) return;
        const row = await q.lockCaseById(trx, p.caseId);
        if (!row) return;
        const type = { 'payment.recorded': 'payment.created', 'payment.updated': 'payment.updated', 'payment.deleted': 'payment.deleted', 'commission.settled': 'payment.updated' }[event.type];
        const data =
          event.type === 'payment.deleted'
            ? { caseId: row.id, reference: row.reference, paymentId: event.payload.payment.id, paymentAmount: event.payload.payment.amount }
            : { caseId: row.id, reference: row.reference, payment: event.payload.payment };
        await appendPublic(ctx, trx, row, type, data, new Date(event.occurredAt));
        await q.bumpSequence(trx, row.id, row.event_sequence);
      });
      return;
  }
}
