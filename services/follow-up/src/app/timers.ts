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
    await f.markTimersFired(
      trx,
      due.map((t) => t.id),
      now,
    );
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

/**
 * The fired timer a reminder-schedule message carries. Only this service's poller writes these, so a
 * value that is not one is a bug or corruption: it throws, and the consumer's dead-letter guard parks it
 * (a skipped timer would silently end a follow-up; a parked one can be retried after a fix).
 */
export function parseFiredTimer(value: string): FiredTimer {
  let v: Partial<FiredTimer> | null;
  try {
    v = JSON.parse(value) as Partial<FiredTimer> | null;
  } catch (error) {
    throw new Error(`malformed timer message: not JSON (${(error as Error).message})`);
  }
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.timerId !== 'string' ||
    typeof v.paymentId !== 'string' ||
    (v.kind !== 'escalate' && v.kind !== 'remind') ||
    typeof v.generation !== 'number' ||
    typeof v.step !== 'number'
  ) {
    throw new Error('malformed timer message: expected {timerId, paymentId, kind: escalate|remind, generation, step}');
  }
  return v as FiredTimer;
}

/** Polls for due timers; drains every due batch each round. */
export function timerPoller(ctx: FollowUpContext, logger: Logger, pollMs: number): PollingLoop {
  return new PollingLoop('follow-up timers', () => fireDueTimers(ctx), pollMs, logger);
}
