// The follow-up composition: migrations, the payment-events consumer, durable timers published on the
// reminder topic and applied by their own consumer, the mail sender, and the gRPC server.
import { randomUUID } from 'node:crypto';
import { TOPIC_PARTITIONS, TOPICS, tryParseEnvelope } from '@pp/events';
import { migrate, OutboxRelay, ping, startGrpcServer, UnitOfWork, type Db, type Logger, type MessageBus, type Metrics } from '@pp/platform';
import { protos } from '@pp/proto';
import { applyPaymentEvent } from './app/apply-payment-event';
import type { FollowUpContext } from './app/context';
import { MailSender } from './app/mail-sender';
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
  /** how often due timers and mail retries are looked for */
  readonly pollMs?: number;
  readonly maxMailBackoffMs?: number;
  /** Test-only: see FollowUpFault. Unset in every real deployment. */
  readonly fault?: FollowUpFault;
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
  await migrate(deps.db, SCHEMA, migrations);
  await deps.bus.ensureTopics([
    { name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS },
    { name: TOPICS.reminderSchedule, partitions: TOPIC_PARTITIONS },
  ]);
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const clock = deps.clock ?? (() => new Date());
  const pollMs = deps.pollMs ?? 250;
  const sender = new MailSender({ db: deps.db, clock }, deps.mail, deps.logger, { pollMs: Math.max(pollMs, 500), maxBackoffMs: deps.maxMailBackoffMs ?? 15_000, from: deps.mailFrom ?? 'Partner Payments <no-reply@partner-payments.local>', metrics: deps.metrics });
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
  const timers = timerPoller(ctx, deps.logger, pollMs);
  const server = await startGrpcServer({ name: 'followup.v1.FollowUp', service: protos().followUp.followup.v1.FollowUp.service, handlers: followUpHandlers(ctx), host: deps.grpcHost, port: deps.grpcPort, logger: deps.logger, metrics: deps.metrics, readiness: () => ping(deps.db) });
  const payments = await deps.bus.subscribe({
    groupId: 'follow-up',
    topics: [TOPICS.paymentEvents],
    handle: async (message) => {
      // A message this version does not understand is logged and skipped, not retried forever.
      const event = tryParseEnvelope(message.value);
      if (!event) return deps.logger.warn({ offset: message.offset, topic: message.topic }, 'skipping unknown event');
      await applyPaymentEvent(ctx, event);
      deps.logger.info({ eventId: event.id, type: event.type, requestId: message.headers['x-request-id'] }, 'applied payment event');
    },
  });
  const reminders = await deps.bus.subscribe({
    groupId: 'follow-up-timers',
    topics: [TOPICS.reminderSchedule],
    handle: async (message) => {
      const fired = parseFiredTimer(message.value);
      if (!fired) return deps.logger.warn({ offset: message.offset }, 'skipping malformed timer message');
      await applyFiredTimer(ctx, fired);
    },
  });
  deps.metrics?.addOutbox(SCHEMA, () => relay.backlog());
  deps.metrics?.addTimers('follow-up', () => timerBacklog(deps.db, clock()));
  relay.start();
  timers.start();
  sender.start();
  return {
    grpcPort: server.port,
    relay,
    stop: async () => {
      await server.shutdown();
      await Promise.all([payments.stop(), reminders.stop()]);
      await timers.stop();
      await sender.stop();
      await relay.stop();
    },
  };
}
