// The gateway's composition: its own schema, gRPC clients to the services, the HTTP server.
import { createGrpcClient, Metrics, prepareSchema, type Db, type Logger } from '@pp/platform';
import { protos } from '@pp/proto';
import { CaseCurrencies } from './app/case-currencies';
import { PartnerKeyCache } from './app/partner-keys';
import { Partners } from './app/partners';
import { listenForKeyChanges } from './infra/key-announcements';
import { deleteExpiredKeys } from './infra/gateway.queries';
import { buildServer } from './http/server';
import { migrations, SCHEMA } from './migrations';

export interface GatewayDeps {
  readonly db: Db;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  readonly adminApiKey: string | undefined;
  readonly rateLimitPerMinute: number;
  readonly ledgerAddress: string;
  readonly caseLifecycleAddress: string;
  readonly followUpAddress: string;
  /** the services run in this process (the embedded default): call them without the network */
  readonly inProcessCalls?: boolean;
  /** the process's registry (the embedded default shares one across services) */
  readonly metrics?: Metrics;
  /** false: GET /metrics on the API port answers 404 (the process serves it on its metrics port instead) */
  readonly metricsOnApiPort?: boolean;
  /** false: the schema is migrated by its migrate Job; this process only checks it and waits (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
  /** called once the HTTP port is bound, before the database is waited for */
  readonly onListening?: (port: number) => void;
}

const DAY_MS = 24 * 3600 * 1000;

export async function startGateway(deps: GatewayDeps) {
  const p = protos();
  const calls = { inProcess: deps.inProcessCalls };
  // Until the schema is migrated (by this process, or by its migrate Job) the gateway listens but answers 503 (/readyz too); /healthz answers 200.
  const startup = { ready: false };
  const keys = new PartnerKeyCache();
  const ctx = {
    db: deps.db,
    logger: deps.logger,
    ledger: createGrpcClient(p.ledger.ledger.v1.Ledger.service, deps.ledgerAddress, calls),
    cases: createGrpcClient(p.caseLifecycle.caselifecycle.v1.CaseLifecycle.service, deps.caseLifecycleAddress, calls),
    followUp: createGrpcClient(p.followUp.followup.v1.FollowUp.service, deps.followUpAddress, calls),
    adminApiKey: deps.adminApiKey,
    currencies: new CaseCurrencies(),
    metrics: deps.metrics ?? new Metrics('gateway'),
    metricsOnApiPort: deps.metricsOnApiPort ?? true,
    startup,
    keys,
    partners: new Partners(deps.db, keys),
  };
  const app = buildServer(ctx, deps.rateLimitPerMinute);
  await app.listen({ host: deps.host, port: deps.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  deps.onListening?.(port);
  // A database that is merely late is waited for (retried with backoff, logged), never a reason to exit.
  await prepareSchema('gateway', { db: deps.db, schema: SCHEMA, migrations, logger: deps.logger, migrateAtStart: deps.migrateAtStart });
  const keyChanges = listenForKeyChanges(deps.db, keys, deps.logger);
  startup.ready = true;
  // Idempotency records are kept 24 h, then cleaned up.
  const cleanup = setInterval(() => void deleteExpiredKeys(deps.db, new Date(Date.now() - DAY_MS)).catch(() => undefined), 3600_000);
  cleanup.unref();
  return {
    port,
    stop: async () => {
      clearInterval(cleanup);
      await app.close();
      await keyChanges.stop();
      ctx.ledger.close();
      ctx.cases.close();
      ctx.followUp.close();
    },
  };
}
