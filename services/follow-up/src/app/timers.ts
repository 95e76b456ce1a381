// Durable timers. A poller in every replica claims due timer rows with FOR UPDATE SKIP LOCKED, marks
// them fired and writes them to the outbox (reminder-schedule topic) in one transaction: a replica
// killed before its commit leaves the timer to the next claim, and two replicas never claim one row.
// The consumer applies a fired timer once (inbox keyed by the timer id).
import type { TimerKind } from '@pp/domain';
import { TOPICS } from '@pp/events';
import { claimInbox, PollingLoop, type Logger } from '@pp/platform';
import * as f from '../infra/followups.queries';
import { SCHEMA } from '../migrations';
import type { FollowUpContext } from './context';
import { applyInput } from './perform';

export interface FiredTimer {
  readonly timerId: string;
  readonly paymentId: string;
  readonly kind: TimerKind;
  readonly generation: number;
  readonly step: number;
}

/** Claims and publishes one batch of due timers; returns how many. */
export async function fireDueTimers(ctx: FollowUpContext, limit = 100): Promise<number> {
  return ctx.uow.run(async ({ trx, emit }) => {
    const now = ctx.clock();
    const due = await f.claimDueTimers(trx, now, limit);
    for (const t of due) {
      const fired: FiredTimer = { timerId: t.id, paymentId: t.payment_id, kind: t.kind, generation: t.generation, step: t.step };
      emit({ id: t.id, topic: TOPICS.reminderSchedule, key: t.payment_id, value: JSON.stringify(fired) });
    }
    await f.markTimersFired(trx, due.map((t) => t.id), now);
    if (due.length > 0) ctx.faults?.timersClaimed(due.length);
    return due.length;
  });
}

export async function applyFiredTimer(ctx: FollowUpContext, fired: FiredTimer): Promise<void> {
  let mailQueued = false;
  await ctx.db.transaction(async (trx) => {
    if (!(await claimInbox(trx, SCHEMA, 'follow-up-timers', fired.timerId))) return;
    const row = await f.lockExistingFollowUp(trx, fired.paymentId);
    if (!row) return;
    mailQueued = (await applyInput(ctx, trx, row, { kind: 'timer', timer: fired.kind, generation: fired.generation, step: fired.step })).mailQueued;
  });
  if (mailQueued) ctx.mailQueued();
}

export function parseFiredTimer(value: string): FiredTimer | undefined {
  const v = JSON.parse(value) as Partial<FiredTimer>;
  if (typeof v.timerId !== 'string' || typeof v.paymentId !== 'string' || (v.kind !== 'escalate' && v.kind !== 'remind') || typeof v.generation !== 'number' || typeof v.step !== 'number') return undefined;
  return v as FiredTimer;
}

/** Polls for due timers; drains every due batch each round. */
export function timerPoller(ctx: FollowUpContext, logger: Logger, pollMs: number): PollingLoop {
  return new PollingLoop('follow-up timers', () => fireDueTimers(ctx), pollMs, logger);
}
