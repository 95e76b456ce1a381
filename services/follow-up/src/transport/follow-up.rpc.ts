import { pageWindow, type PromiseHandlers } from '@pp/platform';
import type { FollowUpDefinition } from '@pp/proto';
import type { FollowUpContext } from '../app/context';
import * as f from '../infra/followups.queries';
import * as q from '../infra/tasks.queries';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : '');

const taskMessage = (t: q.TaskRow) => ({
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
});

/** Served by the platform's dead-letter handlers (deadLetterRpcHandlers in service.ts). */
type DeadLetterRpcs = 'ListDeadLetters' | 'RetryDeadLetter';

export function followUpHandlers(ctx: FollowUpContext): Omit<PromiseHandlers<FollowUpDefinition>, DeadLetterRpcs> {
  return {
    ListTasks: async (r) => {
      const filter = { caseId: r.caseId || undefined, status: r.status || undefined };
      const { rows, total } = await q.listTasks(ctx.db, r.partnerId, filter, pageWindow(r.page, r.pageSize));
      return { totalResults: total, tasks: rows.map(taskMessage) };
    },
    PurgeCases: async (r) => {
      const purged = await ctx.db.transaction(async (trx) => {
        await f.purgeFollowUps(trx, { partnerId: r.partnerId, caseIds: r.caseIds });
        return q.purge(trx, r.partnerId, r.caseIds);
      });
      return { purged };
    },
    ListEmails: async (r) => ({
      emails: (await f.listEmails(ctx.db, r.partnerId, Math.min(Math.max(r.limit || 100, 1), 500))).map((e) => ({
        id: e.id,
        kind: e.kind,
        to: e.to,
        subject: e.subject,
        text: e.text,
        caseId: e.case_id ?? '',
        paymentId: e.payment_id ?? '',
        createdAt: iso(e.created_at),
        sentAt: iso(e.sent_at),
        attempts: e.attempts,
        lastError: e.last_error ?? '',
      })),
    }),
  };
}
