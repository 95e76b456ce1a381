// The ledger's composition: migrations, outbox relay, gRPC server. Used by main.ts (its own process)
// and by the embedded launcher (all services in one process).
import { randomUUID } from 'node:crypto';
import { migrate, OutboxRelay, startGrpcServer, UnitOfWork, type Db, type Logger, type MessageBus } from '@pp/platform';
import { protos } from '@pp/proto';
import { TOPIC_PARTITIONS, TOPICS } from '@pp/events';
import type { LedgerContext } from './app/context';
import { migrations, SCHEMA } from './migrations';
import { ledgerHandlers } from './transport/ledger.rpc';

export interface LedgerDeps {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly clock?: () => Date;
}

export interface RunningLedger {
  readonly grpcPort: number;
  readonly relay: OutboxRelay;
  stop(): Promise<void>;
}

export async function startLedger(deps: LedgerDeps): Promise<RunningLedger> {
  await migrate(deps.db, SCHEMA, migrations);
  await deps.bus.ensureTopics([{ name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS }]);
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const ctx: LedgerContext = { db: deps.db, uow: new UnitOfWork(deps.db, SCHEMA, relay), clock: deps.clock ?? (() => new Date()), newId: randomUUID };
  const server = await startGrpcServer({ name: 'ledger.v1.Ledger', service: protos().ledger.ledger.v1.Ledger.service, handlers: ledgerHandlers(ctx), host: deps.grpcHost, port: deps.grpcPort, logger: deps.logger });
  relay.start();
  return {
    grpcPort: server.port,
    relay,
    stop: async () => {
      await server.shutdown();
      await relay.stop();
    },
  };
}
