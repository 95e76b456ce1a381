// The case-lifecycle composition: migrations, the payment-events and webhook-delivery consumers, gRPC
// server. The server binds first and reports NOT_SERVING until PostgreSQL, the topics and both consumer
// groups are there.
import { randomBytes, randomUUID } from 'node:crypto';
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
import { applyLedgerEvent } from './app/apply-events';
import type { CaseContext } from './app/context';
import { attemptDelivery, httpPoster, parseDeliveryMessage, retryPoller } from './app/deliver-webhooks';
import { dueRetryBacklog } from './infra/webhooks.queries';
import { migrations, SCHEMA } from './migrations';
import { caseLifecycleHandlers } from './transport/case-lifecycle.rpc';

export interface CaseLifecycleDeps {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly clock?: () => Date;
  readonly metrics?: Metrics;
  /** false: the schema is migrated by its migrate Job; this process only checks it and waits (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
  readonly webhooks: {
    readonly retrySchedule: readonly number[];
    readonly disableAfter: number;
    readonly allowInsecure: boolean;
    readonly allowPrivate: boolean;
  };
  /** how often due webhook retries are looked for */
  readonly pollMs?: number;
  /** attempts and pauses before a failing message is parked (CONSUMER_MAX_ATTEMPTS, CONSUMER_RETRY_BACKOFF_MS) */
  readonly deadLetterPolicy?: Partial<DeadLetterPolicy>;
  /** called once the gRPC port is bound, before the dependencies are waited for */
  readonly onListening?: (grpcPort: number) => void;
}

export async function startCaseLifecycle(deps: CaseLifecycleDeps) {
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const ctx: CaseContext = {
    db: deps.db,
    uow: new UnitOfWork(deps.db, SCHEMA, relay),
    clock: deps.clock ?? (() => new Date()),
    newId: randomUUID,
    randomBytes: (n) => randomBytes(n),
    random: Math.random,
    webhooks: {
      schedule: deps.webhooks.retrySchedule,
      disableAfter: deps.webhooks.disableAfter,
      destinations: { allowInsecure: deps.webhooks.allowInsecure, allowPrivate: deps.webhooks.allowPrivate },
      timeoutMs: 10_000,
    },
    metrics: deps.metrics,
  };
  const deadLetters = new DeadLetters({
    db: deps.db,
    schema: SCHEMA,
    logger: deps.logger,
    metrics: deps.metrics,
    policy: deps.deadLetterPolicy,
    clock: ctx.clock,
  });
  const retries = retryPoller(ctx, deps.logger, deps.pollMs ?? 200);
  const post = httpPoster(ctx);
  // Bound at once, NOT_SERVING (calls answer UNAVAILABLE) until the dependencies below are there.
  const server = await startGrpcServer({
    name: 'caselifecycle.v1.CaseLifecycle',
    service: protos().caseLifecycle.caselifecycle.v1.CaseLifecycle.service,
    handlers: { ...caseLifecycleHandlers(ctx), ...deadLetterRpcHandlers(deadLetters) },
    host: deps.grpcHost,
    port: deps.grpcPort,
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: () => ping(deps.db),
    holdUntilReady: true,
  });
  deps.onListening?.(server.port);
  await awaitDependencies('case-lifecycle', {
    ...deps,
    schema: SCHEMA,
    migrations,
    topics: [TOPICS.paymentEvents, TOPICS.webhookDelivery, TOPICS.partnerNotices].map((name) => ({ name, partitions: TOPIC_PARTITIONS })),
  });
  const [subscription, deliveries] = await Promise.all([
    deps.bus.subscribe({
      groupId: 'case-lifecycle',
      topics: [TOPICS.paymentEvents],
      deadLetters,
      handle: envelopeHandler(deps.logger, (event) => applyLedgerEvent(ctx, event), 'applied ledger event'),
    }),
    deps.bus.subscribe({
      groupId: 'webhook-delivery',
      topics: [TOPICS.webhookDelivery],
      deadLetters,
      handle: async (message) => {
        // Only this service writes delivery messages: one that is not is a bug, parked rather than lost.
        const parsed = parseDeliveryMessage(message.value);
        if (!parsed) throw new Error('malformed webhook delivery message: expected {deliveryId, attempt ≥ 1}');
        await attemptDelivery(ctx, parsed, post, deps.logger);
      },
    }),
  ]);
  deps.metrics?.addOutbox(SCHEMA, () => relay.backlog());
  deps.metrics?.addTimers('webhook-retry', () => dueRetryBacklog(deps.db, ctx.clock()));
  relay.start();
  retries.start();
  server.markReady();
  return {
    grpcPort: server.port,
    relay,
    deadLetters,
    stop: async () => {
      await server.shutdown();
      await Promise.all([subscription.stop(), deliveries.stop()]);
      await retries.stop();
      await relay.stop();
    },
  };
}
