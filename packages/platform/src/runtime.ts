// Process plumbing shared by the services' composition roots: the common environment, the
// database and bus they choose from it, and graceful shutdown on SIGTERM/SIGINT.
import { z } from 'zod';
import { env, parseConfig } from './config';
import { createDb, migrate, type Db, type Migration } from './db';
import { DEFAULT_DEAD_LETTER_POLICY, type DeadLetterPolicy } from './dead-letters';
import { KafkaBus } from './kafka-bus';
import { KafkaAuthenticationError, kafkaSecurityEnv, kafkaSecurityFrom } from './kafka-security';
import { createLogger, type Logger } from './logger';
import type { MessageBus } from './messaging';
import { Metrics } from './metrics';
import { retryUntilDone } from './retry';

/** How a consumer treats a message its handler keeps failing on (./dead-letters): attempts, then the pause after the first failure (doubling, capped at 5 s). */
export const consumerRetryEnv = {
  CONSUMER_MAX_ATTEMPTS: env.positiveInt(DEFAULT_DEAD_LETTER_POLICY.maxAttempts),
  CONSUMER_RETRY_BACKOFF_MS: env.positiveInt(DEFAULT_DEAD_LETTER_POLICY.backoffMs),
};

export function deadLetterPolicyFrom(config: { CONSUMER_MAX_ATTEMPTS: number; CONSUMER_RETRY_BACKOFF_MS: number }): DeadLetterPolicy {
  return { ...DEFAULT_DEAD_LETTER_POLICY, maxAttempts: config.CONSUMER_MAX_ATTEMPTS, backoffMs: config.CONSUMER_RETRY_BACKOFF_MS };
}

export const serviceEnvSchema = z.object({
  DATABASE_URL: z.string().min(1, 'is required for a service process (postgres://…)'),
  KAFKA_BROKERS: env.list().refine((v) => v !== undefined && v.length > 0, 'is required for a service process (host:port,…)'),
  GRPC_HOST: z.string().optional().default('127.0.0.1'),
  GRPC_PORT: env.port(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  DB_POOL_MAX: env.positiveInt(10),
  /** Prometheus /metrics of this process, on GRPC_HOST */
  METRICS_PORT: env.port(9464),
  ...consumerRetryEnv,
  ...kafkaSecurityEnv,
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
    bus: new KafkaBus({ brokers: config.KAFKA_BROKERS ?? [], clientId, logger, metrics, security: kafkaSecurityFrom(config) }),
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

/**
 * Prints the one-line readiness marker a supervisor (the stack launcher, a test) waits for: the process
 * has its database migrated, its topics led and its consumers joined, and serves.
 */
export function announceReady(service: string, ports: Record<string, number | string>): void {
  process.stdout.write(`${JSON.stringify({ ready: service, ...ports })}\n`);
}

/**
 * Prints `{"listening":…}` as soon as the process has bound its ports, before its dependencies are there:
 * a supervisor knows it is alive and where to probe its health (NOT_SERVING, /readyz 503 until ready).
 */
export function announceListening(service: string, ports: Record<string, number | string>): void {
  process.stdout.write(`${JSON.stringify({ listening: service, ...ports })}\n`);
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

/**
 * A service's start-up wait: its schema migrated, then its Kafka topics there with leaders. A dependency
 * that is merely late is retried with backoff and logged, never a reason to exit; a broker that refuses
 * our SASL credentials is (KafkaAuthenticationError, naming the variables): no wait would fix that.
 */
export async function awaitDependencies(
  service: string,
  d: { db: Db; schema: string; migrations: readonly Migration[]; bus: MessageBus; topics: readonly { name: string; partitions: number }[]; logger: Logger },
): Promise<void> {
  const wait = { logger: d.logger };
  await retryUntilDone(`PostgreSQL (${service} migrations)`, () => migrate(d.db, d.schema, d.migrations), wait);
  await retryUntilDone('Kafka topics and their leaders', () => d.bus.ensureTopics(d.topics), {
    ...wait,
    fatal: (error) => error instanceof KafkaAuthenticationError,
  });
}
