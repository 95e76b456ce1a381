// Starts, updates, completes or cancels the unpaid-commission follow-up from the ledger's events.
// Idempotent: the inbox records the event id in the same transaction as the task change.
import { commissionOwed, type CommissionStatus, type PaymentRecipient } from '@pp/domain';
import type { AnyEnvelope } from '@pp/events';
import { claimInbox, type Db } from '@pp/platform';
import * as q from '../infra/tasks.queries';
import { SCHEMA } from '../migrations';

export interface FollowUpContext {
  readonly db: Db;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly chaseAfterMs: number;
}

const owed = (p: { recipient: string; commissionStatus: string }) => commissionOwed(p.recipient as PaymentRecipient, p.commissionStatus as CommissionStatus);

export async function applyPaymentEvent(ctx: FollowUpContext, event: AnyEnvelope): Promise<void> {
  if (event.type === 'account.closed' || event.type === 'account.reopened') return;
  await ctx.db.transaction(async (trx) => {
    if (!(await claimInbox(trx, SCHEMA, 'follow-up', event.id))) return;
    const { payload } = event;
    const now = ctx.clock();
    const start = async () => {
      if (payload.isTest) return;
      await q.insertTask(trx, {
        id: ctx.newId(),
        type: 'InvoiceClient',
        status: 'Open',
        case_id: payload.caseId,
        partner_id: payload.partnerId,
        payment_id: payload.payment.id,
        amount_owed: payload.payment.payoutCollectionPartner,
        currency: payload.currency,
        due_at: new Date(now.getTime() + ctx.chaseAfterMs),
        reminder_count: 0,
        created_at: now,
        completed_at: null,
      });
    };
    const close = async (status: 'Completed' | 'Cancelled') => {
      for (const task of await q.openTasksOfPayment(trx, payload.payment.id)) await q.updateTask(trx, task.id, { status, completed_at: now });
    };
    switch (event.type) {
      case 'payment.recorded':
        if (event.payload.createFollowUp && owed(payload.payment)) await start();
        return;
      case 'payment.updated': {
        const open = await q.openTasksOfPayment(trx, payload.payment.id);
        if (!owed(payload.payment)) return close('Cancelled');
        if (open.length === 0 && !owed(event.payload.before)) return start();
        for (const task of open) await q.updateTask(trx, task.id, { amount_owed: payload.payment.payoutCollectionPartner });
        return;
      }
      case 'payment.deleted':
        return close('Cancelled');
      case 'commission.settled':
        return close('Completed');
    }
  });
}
