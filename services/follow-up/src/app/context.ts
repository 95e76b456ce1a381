import type { Db, OutboxRelay, UnitOfWork } from '@pp/platform';

export interface FollowUpContext {
  readonly db: Db;
  readonly uow: UnitOfWork;
  readonly relay: Pick<OutboxRelay, 'nudge'>;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly chaseAfterMs: number;
  readonly reminderIntervalMs: number;
  /** called after a commit that queued mail */
  readonly mailQueued: () => void;
  /** Test-only fault injection (see FollowUpFault in service.ts); absent in normal operation. */
  readonly faults?: FollowUpFaults;
}

export interface FollowUpFaults {
  /** Runs inside the timer transaction after due timers were claimed, before it commits. */
  timersClaimed(count: number): void;
}
