// The case-lifecycle composition: migrations, the payment-events consumer, gRPC server.
import { randomBytes, randomUUID } from 'node:crypto';
import { parseEnvelope, TOPIC_PARTITIONS, TOPICS, UnknownEventError } from '@pp/events';
import { createGrpcClient, migrate, startGrpcServer, type Db, type Logger, type MessageBus } from '@pp/platform';
import { protos } from '@pp/proto';
import { applyLedgerEvent } from './app/apply-events';
import type { CaseContext } from './app/context';
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
}

export async function startCaseLifecycle(deps: CaseLifecycleDeps) {
  await migrate(deps.db, SCHEMA, migrations);
  const ledger = createGrpcClient(protos().ledger.ledger.v1.Ledger.service, deps.ledgerAddress);
  const ctx: CaseContext = { db: deps.db, ledger, clock: deps.clock ?? (() => new Date()), newId: randomUUID, randomBytes: (n) => randomBytes(n) };
  const server = await startGrpcServer({ name: 'caselifecycle.v1.CaseLifecycle', service: protos().caseLifecycle.caselifecycle.v1.CaseLifecycle.service, handlers: caseLifecycleHandlers(ctx), host: deps.grpcHost, port: deps.grpcPort, logger: deps.logger });
  await deps.bus.ensureTopics([{ name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS }]);
  const subscription = await deps.bus.subscribe({
    groupId: 'case-lifecycle',
    topics: [TOPICS.paymentEvents],
    handle: async (message) => {
      let event;
      try {
        event = parseEnvelope(message.value);
      } catch (error) {
        // A message this version does not understand is logged and skipped, not retried forever.
        if (error instanceof UnknownEventError || error instanceof SyntaxError) return deps.logger.warn({ offset: message.offset, err: error }, 'skipping unknown event');
        throw error;
      }
      await applyLedgerEvent(ctx, event);
      deps.logger.debug({ eventId: event.id, type: event.type, requestId: message.headers['x-request-id'] }, 'applied ledger event');
    },
  });
  return {
    grpcPort: server.port,
    stop: async () => {
      await server.shutdown();
      await subscription.stop();
      ledger.close();
    },
  };
}
