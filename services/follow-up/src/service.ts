// The follow-up composition: migrations, the payment-events consumer, gRPC server.
import { randomUUID } from 'node:crypto';
import { parseEnvelope, TOPIC_PARTITIONS, TOPICS, UnknownEventError } from '@pp/events';
import { migrate, startGrpcServer, type Db, type Logger, type MessageBus } from '@pp/platform';
import { protos } from '@pp/proto';
import { applyPaymentEvent, type FollowUpContext } from './app/apply-payment-event';
import { migrations, SCHEMA } from './migrations';
import { followUpHandlers } from './transport/follow-up.rpc';

export interface FollowUpDeps {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly chaseAfterMs: number;
  readonly clock?: () => Date;
}

export async function startFollowUp(deps: FollowUpDeps) {
  await migrate(deps.db, SCHEMA, migrations);
  const ctx: FollowUpContext = { db: deps.db, clock: deps.clock ?? (() => new Date()), newId: randomUUID, chaseAfterMs: deps.chaseAfterMs };
  const server = await startGrpcServer({ name: 'followup.v1.FollowUp', service: protos().followUp.followup.v1.FollowUp.service, handlers: followUpHandlers(ctx), host: deps.grpcHost, port: deps.grpcPort, logger: deps.logger });
  await deps.bus.ensureTopics([{ name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS }]);
  const subscription = await deps.bus.subscribe({
    groupId: 'follow-up',
    topics: [TOPICS.paymentEvents],
    handle: async (message) => {
      let event;
      try {
        event = parseEnvelope(message.value);
      } catch (error) {
        if (error instanceof UnknownEventError || error instanceof SyntaxError) return deps.logger.warn({ offset: message.offset, err: error }, 'skipping unknown event');
        throw error;
      }
      await applyPaymentEvent(ctx, event);
    },
  });
  return {
    grpcPort: server.port,
    stop: async () => {
      await server.shutdown();
      await subscription.stop();
    },
  };
}
