// The ledger's composition: migrations, outbox relay, gRPC server. Used by main.ts (its own process)
// and by the embedded launcher (all services in one process). The server binds first and reports
// NOT_SERVING until PostgreSQL and the payment-events topic are there.
import { randomUUID } from 'node:crypto';
import { OutboxRelay, ping, awaitDependencies, startGrpcServer, UnitOfWork, type Db, type Logger, type MessageBus, type Metrics } from '@pp/platform';
import { protos } from '@pp/proto';
import { TOPIC_PARTITIONS, TOPICS } from '@pp/events';
import type { LedgerContext, LedgerFaults } from './app/context';
import { migrations, SCHEMA } from './migrations';
import { balanceAnnouncer } from './app/announce-balances';
import { ledgerHandlers } from './transport/ledger.rpc';

export interface LedgerDeps {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly clock?: () => Date;
  readonly metrics?: Metrics;
  /** false: the schema is migrated by its migrate Job; this process only checks it and waits (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
  /** Test-only: see LedgerFault. Unset in every real deployment. */
  readonly fault?: LedgerFault;
  /** called once the gRPC port is bound, before the dependencies are waited for */
  readonly onListening?: (grpcPort: number) => void;
}

/**
 * Test-only fault-injection seam, read once at start from env `PP_FAULT_INJECTION` (main.ts) and inert
 * when unset. `exit-after-record-commit`: the process exits with 137 (as if SIGKILLed) right after a
 * record-payment transaction commits and before the gRPC answer, so the crash tests can prove that a
 * client's retry never records a second payment.
 */
export type LedgerFault = 'exit-after-record-commit';

export function parseLedgerFault(value: string | undefined): LedgerFault | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'exit-after-record-commit') return value;
  throw new Error(`Invalid configuration:\n  PP_FAULT_INJECTION: must be exit-after-record-commit or unset, got "${value}"`);
}

function faultsFor(fault: LedgerFault | undefined): LedgerFaults | undefined {
  if (fault === 'exit-after-record-commit') return { afterRecordCommit: () => process.exit(137) };
  return undefined;
}

export interface RunningLedger {
  readonly grpcPort: number;
  readonly relay: OutboxRelay;
  stop(): Promise<void>;
}

export async function startLedger(deps: LedgerDeps): Promise<RunningLedger> {
  const relay = new OutboxRelay({ db: deps.db, schema: SCHEMA, bus: deps.bus, logger: deps.logger });
  const ctx: LedgerContext = {
    db: deps.db,
    uow: new UnitOfWork(deps.db, SCHEMA, relay),
    clock: deps.clock ?? (() => new Date()),
    newId: randomUUID,
    faults: faultsFor(deps.fault),
  };
  // Bound at once, NOT_SERVING (calls answer UNAVAILABLE) until the dependencies below are there.
  const server = await startGrpcServer({
    name: 'ledger.v1.Ledger',
    service: protos().ledger.ledger.v1.Ledger.service,
    handlers: ledgerHandlers(ctx),
    host: deps.grpcHost,
    port: deps.grpcPort,
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: () => ping(deps.db),
    holdUntilReady: true,
  });
  deps.onListening?.(server.port);
  // A dependency that is merely late is waited for (retried with backoff, logged), never a reason to exit.
  await awaitDependencies('ledger', { ...deps, schema: SCHEMA, migrations, topics: [{ name: TOPICS.paymentEvents, partitions: TOPIC_PARTITIONS }] });
  deps.metrics?.addOutbox(SCHEMA, () => relay.backlog());
  relay.start();
  const announcer = balanceAnnouncer(ctx, deps.logger, 5_000);
  announcer.start();
  server.markReady();
  return {
    grpcPort: server.port,
    relay,
    stop: async () => {
      await server.shutdown();
      await announcer.stop();
      await relay.stop();
    },
  };
}
