// The follow-up composition: migrations, the payment-events consumer, durable timers published on the
// reminder topic and applied by their own consumer, the mail sender, and the gRPC server. The server
// binds first and reports NOT_SERVING until PostgreSQL, the topics and both consumer groups are there.
import { randomUUID } from 'node:crypto';
import { TOPIC_PARTITIONS, TOPICS, envelopeHandler } from '@pp/events';
import {
  DeadLetters,
  deadLetterRpcHandlers,
  OutboxRelay,
  ping,
  awaitDependencies,
  startGrpcServer,
  UnitOfWork,
  type Db,
  type DeadLetterPolicy,
  type Logger,
  type MessageBus,
  type Metrics,
} from '@pp/platform';
import { protos } from '@pp/proto';
import { applyPaymentEvent } from './app/apply-payment-event';
import type { FollowUpContext } from './app/context';
import { MailSender } from './app/mail-sender';
import { applyPartnerNotice } from './app/partner-notices';
import { applyFiredTimer, parseFiredTimer, timerPoller } from './app/timers';
import { timerBacklog } from './infra/followups.queries';
import type { MailTransport } from './infra/mail-transport';
import { migrations, SCHEMA } from './migrations';
import { followUpHandlers } from './transport/follow-up.rpc';

export interface FollowUpDeps {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly chaseAfterMs: number;
  readonly reminderIntervalMs: number;
  readonly mail: MailTransport;
  readonly mailFrom?: string;
  readonly clock?: () => Date;
  readonly metrics?: Metrics;
  /** false: the schema is migrated by its migrate Job; this process only checks it and waits (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
  /** how often due timers and mail retries are looked for */
  readonly pollMs?: number;
  readonly maxMailBackoffMs?: number;
  /** Test-only: see FollowUpFault. Unset in every real deployment. */
  readonly fault?: FollowUpFault;
  /** attempts and pauses before a failing message is parked (CONSUMER_MAX_ATTEMPTS, CONSUMER_RETRY_BACKOFF_MS) */
  readonly deadLetterPolicy?: Partial<DeadLetterPolicy>;
  /** called once the gRPC port is bound, before the dependencies are waited for */
  readonly onListening?: (grpcPort: number) => void;
}

/**
 * Test-only faults, chosen by env PP_FAULT_INJECTION in main.ts:
 * `exit-before-timer-commit` kills the process after claiming due timers, before their transaction
 * commits (the crash between claiming a timer and publishing it).
 */
export type FollowUpFault = 'exit-before-timer-commit';

export function parseFollowUpFault(value: string | undefined): FollowUpFault | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'exit-before-timer-commit') return value;
  throw new Error(`PP_FAULT_INJECTION: unknown fault "${value}" for follow-up`);
}

export async function startFollowUp(deps: FollowUpDeps) {
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const clock = deps.clock ?? (() => new Date());
  const pollMs = deps.pollMs ?? 250;
  const sender = new MailSender({ db: deps.db, clock }, deps.mail, deps.logger, {
    pollMs: Math.max(pollMs, 500),
    maxBackoffMs: deps.maxMailBackoffMs ?? 15_000,
    from: deps.mailFrom ?? 'Partner Payments <no-reply@partner-payments.local>',
    metrics: deps.metrics,
  });
  const ctx: FollowUpContext = {
    db: deps.db,
    uow: new UnitOfWork(deps.db, SCHEMA, relay),
    relay,
    clock,
    newId: randomUUID,
    chaseAfterMs: deps.chaseAfterMs,
    reminderIntervalMs: deps.reminderIntervalMs,
    mailQueued: () => sender.nudge(),
    faults: deps.fault === 'exit-before-timer-commit' ? { timersClaimed: () => process.exit(137) } : undefined,
  };
  const deadLetters = new DeadLetters({ db: deps.db, schema: SCHEMA, logger: deps.logger, metrics: deps.metrics, policy: deps.deadLetterPolicy, clock });
  const timers = timerPoller(ctx, deps.logger, pollMs);
  // Bound at once, NOT_SERVING (calls answer UNAVAILABLE) until the dependencies below are there.
  const server = await startGrpcServer({
    name: 'followup.v1.FollowUp',
    service: protos().followUp.followup.v1.FollowUp.service,
    handlers: { ...followUpHandlers(ctx), ...deadLetterRpcHandlers(deadLetters) },
    host: deps.grpcHost,
    port: deps.grpcPort,
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: () => ping(deps.db),
    holdUntilReady: true,
  });
  deps.onListening?.(server.port);
  await awaitDependencies('follow-up', {
    ...deps,
    schema: SCHEMA,
    migrations,
    topics: [TOPICS.paymentEvents, TOPICS.reminderSchedule, TOPICS.partnerNotices].map((name) => ({ name, partitions: TOPIC_PARTITIONS })),
  });
  const [payments, reminders, notices] = await Promise.all([
    deps.bus.subscribe({
      groupId: 'follow-up',
      topics: [TOPICS.paymentEvents],
      deadLetters,
      handle: envelopeHandler(deps.logger, (event) => applyPaymentEvent(ctx, event), 'applied payment event'),
    }),
    deps.bus.subscribe({
      groupId: 'follow-up-timers',
      topics: [TOPICS.reminderSchedule],
      deadLetters,
      handle: async (message) => applyFiredTimer(ctx, parseFiredTimer(message.value)),
    }),
    deps.bus.subscribe({
      groupId: 'follow-up-notices',
      topics: [TOPICS.partnerNotices],
      deadLetters,
      handle: envelopeHandler(deps.logger, (event) => applyPartnerNotice(ctx, event, deps.logger), 'applied partner notice'),
    }),
  ]);
  deps.metrics?.addOutbox(SCHEMA, () => relay.backlog());
  deps.metrics?.addTimers('follow-up', () => timerBacklog(deps.db, clock()));
  relay.start();
  timers.start();
  sender.start();
  server.markReady();
  return {
    grpcPort: server.port,
    relay,
    deadLetters,
    stop: async () => {
      await server.shutdown();
      await Promise.all([payments.stop(), reminders.stop(), notices.stop()]);
      await timers.stop();
      await sender.stop();
      await relay.stop();
    },
  };
}
