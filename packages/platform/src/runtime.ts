// Process plumbing shared by the services' composition roots: the common environment, the
// database and bus they choose from it, and graceful shutdown on SIGTERM/SIGINT.
import { z } from 'zod';
import { env, parseConfig } from './config';
import { createDb, migrate, type Db, type Migration } from './db';
import { KafkaBus } from './kafka-bus';
import { createLogger, type Logger } from './logger';
import type { MessageBus } from './messaging';
import { Metrics } from './metrics';

export const serviceEnvSchema = z.object({
  DATABASE_URL: z.string().min(1, 'is required for a service process (postgres://…)'),
  KAFKA_BROKERS: env.list().refine((v) => v !== undefined && v.length > 0, 'is required for a service process (host:port,…)'),
  GRPC_HOST: z.string().optional().default('127.0.0.1'),
  GRPC_PORT: env.port(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  DB_POOL_MAX: env.positiveInt(10),
  /** Prometheus /metrics of this process, on GRPC_HOST */
  METRICS_PORT: env.port(9464),
});
export type ServiceEnv = z.output<typeof serviceEnvSchema>;

export interface Infra {
  readonly db: Db;
  readonly bus: MessageBus;
  readonly metrics: Metrics;
}

export function distributedInfra(config: ServiceEnv, clientId: string, logger: Logger): Infra {
  const metrics = new Metrics(clientId);
  return {
    db: createDb({ kind: 'pg', url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX }),
    bus: new KafkaBus({ brokers: config.KAFKA_BROKERS ?? [], clientId, logger, metrics }),
    metrics,
  };
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

/** Prints the one-line readiness marker a supervisor (the stack launcher, a test) waits for. */
export function announceReady(service: string, ports: Record<string, number | string>): void {
  process.stdout.write(`${JSON.stringify({ ready: service, ...ports })}\n`);
}

/**
 * The body of each service's `dist/migrate.js` (its migration Job in Kubernetes): runs the schema's
 * forward-only migrations and exits. Services also migrate at start, so this is safe to run any time.
 */
export function runMigrationsCommand(service: string, schema: string, migrations: readonly Migration[]): void {
  const main = async () => {
    const config = parseConfig(serviceEnvSchema.pick({ DATABASE_URL: true, LOG_LEVEL: true }), process.env);
    const logger = createLogger(`${service}-migrate`, config.LOG_LEVEL);
    const db = createDb({ kind: 'pg', url: config.DATABASE_URL, poolMax: 2 });
    try {
      await migrate(db, schema, migrations);
      logger.info({ schema, latest: migrations.at(-1)?.name }, 'schema up to date');
    } finally {
      await db.destroy();
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${service} migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
