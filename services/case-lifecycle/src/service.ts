// The case-lifecycle composition: migrations, the payment-events consumer, gRPC server.
import { randomBytes, randomUUID } from 'node:crypto';
import { TOPIC_PARTITIONS, TOPICS, tryParseEnvelope } from '@pp/events';
import { createGrpcClient, migrate, OutboxRelay, ping, startGrpcServer, UnitOfWork, type Db, type Logger, type MessageBus, type Metrics } from '@pp/platform';
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
  readonly ledgerAddress: string;
  readonly clock?: () => Date;
  readonly metrics?: Metrics;
  readonly webhooks: {
    readonly retrySchedule: readonly number[];
    readonly disableAfter: number;
    readonly allowInsecure: boolean;
    readonly allowPrivate: boolean;
  };
  /** how often due webhook retries are looked for */
  readonly pollMs?: number;
}

export async function startCaseLifecycle(deps: CaseLifecycleDeps) {
  await migrate(deps.db, SCHEMA, migrations);
  const ledger = createGrpcClient(protos().ledger.ledger.v1.Ledger.service, deps.ledgerAddress);
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const ctx: CaseContext = {
    db: deps.db,
    uow: new UnitOfWork(deps.db, SCHEMA, relay),
    ledger,
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
  const retries = retryPoller(ctx, deps.logger, deps.pollMs ?? 200);
  const post = httpPoster(ctx);
  const server = await startGrpcServer({ name: 'caselifecycle.v1.CaseLifecycle', service: protos().caseLifecycle.caselifecycle.v1.CaseLifecycle.service, handlers: caseLifecycleHandlers(ctx), host: deps.grpcHost, port: deps.grpcPort, logger: deps.logger, metrics: deps.metrics, readiness: () => ping(deps.db) });
  await deps.bus.ensureTopics([
    { name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS },
    { name: TOPICS.webhookDelivery, partitions: TOPIC_PARTITIONS },
  ]);
  const subscription = await deps.bus.subscribe({
    groupId: 'case-lifecycle',
    topics: [TOPICS.paymentEvents],
    handle: async (message) => {
      // A message this version does not understand is logged and skipped, not retried forever.
      const event = tryParseEnvelope(message.value);
      if (!event) return deps.logger.warn({ offset: message.offset, topic: message.topic }, 'skipping unknown event');
      await applyLedgerEvent(ctx, event);
      deps.logger.info({ eventId: event.id, type: event.type, requestId: message.headers['x-request-id'] }, 'applied ledger event');
    },
  });
  const deliveries = await deps.bus.subscribe({
    groupId: 'webhook-delivery',
    topics: [TOPICS.webhookDelivery],
    handle: async (message) => {
      let parsed;
      try {
        parsed = parseDeliveryMessage(message.value);
      } catch {
        parsed = undefined;
      }
      if (!parsed) return deps.logger.warn({ offset: message.offset }, 'skipping malformed delivery message');
      await attemptDelivery(ctx, parsed, post, deps.logger);
    },
  });
  deps.metrics?.addOutbox(SCHEMA, () => relay.backlog());
  deps.metrics?.addTimers('webhook-retry', () => dueRetryBacklog(deps.db, ctx.clock()));
  relay.start();
  retries.start();
  return {
    grpcPort: server.port,
    relay,
    stop: async () => {
      await server.shutdown();
      await Promise.all([subscription.stop(), deliveries.stop()]);
      await retries.stop();
      await relay.stop();
      ledger.close();
    },
  };
}
