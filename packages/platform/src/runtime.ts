// Process plumbing shared by the services' composition roots: the common environment, the
// database and bus they choose from it, and graceful shutdown on SIGTERM/SIGINT.
import { z } from 'zod';
import { env, parseConfig } from './config';
import { createDb, migrate, type Db, type Migration } from './db';
import { currentRole, grantRuntimeRole, prepareSchema } from './db-roles';
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
  /** false: DATABASE_URL's role only reads and writes rows; the migrate Job migrates (./db-roles.ts) */
  DB_MIGRATE_AT_START: env.bool(true),
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
  /** false: wait for the migrate Job rather than migrate (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
}

export function distributedInfra(config: ServiceEnv, clientId: string, logger: Logger): Infra {
  const metrics = new Metrics(clientId);
  return {
    db: createDb({ kind: 'pg', url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX }),
    bus: new KafkaBus({ brokers: config.KAFKA_BROKERS ?? [], clientId, logger, metrics, security: kafkaSecurityFrom(config) }),
    metrics,
    migrateAtStart: config.DB_MIGRATE_AT_START,
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

/** What `dist/migrate.js` reads: DATABASE_URL, and the owner's URL when the runtime role is a different one. */
export const migrateEnvSchema = z.object({
  DATABASE_URL: serviceEnvSchema.shape.DATABASE_URL,
  /** the schema owner's connection: migrations run with it, then DATABASE_URL's role is granted its DML */
  MIGRATION_DATABASE_URL: env.url(['postgres:', 'postgresql:']),
  LOG_LEVEL: serviceEnvSchema.shape.LOG_LEVEL,
});

/**
 * The body of each service's `dist/migrate.js` (its migration Job in Kubernetes): runs the schema's
 * forward-only migrations and exits. With MIGRATION_DATABASE_URL they run as that role (the schema's
 * owner), and the role of DATABASE_URL, the one the service runs as, is granted what it needs
 * (./db-roles.ts); without it, as DATABASE_URL's role, as the services do at start by default. Safe to
 * run any time.
 */
export function runMigrationsCommand(service: string, schema: string, migrations: readonly Migration[]): void {
  const main = async () => {
    const config = parseConfig(migrateEnvSchema, process.env);
    const logger = createLogger(`${service}-migrate`, config.LOG_LEVEL);
    const dbs: Db[] = [];
    const open = (url: string) => {
      const db = createDb({ kind: 'pg', url, poolMax: 2 });
      dbs.push(db);
      return db;
    };
    try {
      const runtime = open(config.DATABASE_URL);
      const owner = config.MIGRATION_DATABASE_URL ? open(config.MIGRATION_DATABASE_URL) : runtime;
      await migrate(owner, schema, migrations);
      const [ownerRole, runtimeRole] = await Promise.all([currentRole(owner), currentRole(runtime)]);
      // One role for both (no MIGRATION_DATABASE_URL, or the same role twice) owns the schema: nothing to grant.
      if (runtimeRole !== ownerRole) await grantRuntimeRole(owner, schema, runtimeRole);
      logger.info({ schema, latest: migrations.at(-1)?.name, owner: ownerRole, runtime: runtimeRole }, 'schema up to date');
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${service} migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/**
 * A service's start-up wait: its schema migrated (or, with `migrateAtStart: false`, migrated by its Job), then its Kafka
 * topics there with leaders. A dependency that is merely late is retried with backoff and logged, never a reason to exit;
 * a broker that refuses our SASL credentials is (KafkaAuthenticationError, naming the variables): no wait would fix that.
 */
export async function awaitDependencies(
  service: string,
  d: {
    db: Db;
    schema: string;
    migrations: readonly Migration[];
    migrateAtStart?: boolean;
    bus: MessageBus;
    topics: readonly { name: string; partitions: number }[];
    logger: Logger;
  },
): Promise<void> {
  await prepareSchema(service, d);
  await retryUntilDone('Kafka topics and their leaders', () => d.bus.ensureTopics(d.topics), {
    logger: d.logger,
    fatal: (error) => error instanceof KafkaAuthenticationError,
  });
}
