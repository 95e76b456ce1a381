import type { PromiseHandlers } from '@pp/platform';
import type { FollowUpDefinition } from '@pp/proto';
import type { FollowUpContext } from '../app/apply-payment-event';
import * as q from '../infra/tasks.queries';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '');

export function followUpHandlers(ctx: FollowUpContext): PromiseHandlers<FollowUpDefinition> {
  return {
    ListTasks: async (r) => ({
      tasks: (await q.listTasks(ctx.db, r.partnerId, { caseId: r.caseId || undefined, status: r.status || undefined })).map((t) => ({
        id: t.id,
        type: t.type,
        status: t.status,
        caseId: t.case_id,
        paymentId: t.payment_id,
        amountOwed: t.amount_owed,
        currency: t.currency,
        dueAt: iso(t.due_at),
        reminderCount: t.reminder_count,
        createdAt: iso(t.created_at),
        completedAt: iso(t.completed_at),
      })),
    }),
    PurgeCases: async (r) => ({ purged: await q.purge(ctx.db, r.partnerId, r.caseIds) }),
  };
}
