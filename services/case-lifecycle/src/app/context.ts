import type { AttemptPolicy } from '@pp/domain';
import type { Db, Metrics, UnitOfWork } from '@pp/platform';
import type { DestinationPolicy } from '../infra/webhook-http';

export interface WebhookSettings extends AttemptPolicy {
  readonly destinations: DestinationPolicy;
  /** per attempt, SPEC §6: 10 s */
  readonly timeoutMs: number;
}

export interface CaseContext {
  readonly db: Db;
  /** writes with outbox rows (the webhook-delivery topic) */
  readonly uow: UnitOfWork;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly random: () => number;
  readonly webhooks: WebhookSettings;
  readonly metrics?: Metrics | undefined;
}
