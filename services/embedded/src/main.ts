// Composition root of the embedded default (`npm start`): all four services in one process, each
// still behind its own gRPC server on loopback (health, and any outside caller) but calling each
// other in-process through those servers' dispatchers (no HTTP/2 inside one process), sharing one embedded PostgreSQL (PGlite) in which
// every service keeps its own schema, and the in-process bus. DATABASE_URL / KAFKA_BROKERS switch
// to the real servers with the same code.
import { startCaseLifecycle } from '@pp/case-lifecycle';
import { fileTransport, smtpTransport, startFollowUp } from '@pp/follow-up';
import { gatewayEnvSchema, startGateway } from '@pp/gateway';
import { startLedger } from '@pp/ledger';
import {
  announceReady,
  ConfigError,
  consumerRetryEnv,
  deadLetterPolicyFrom,
  createDb,
  createLogger,
  EmbeddedBus,
  KafkaBus,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  Metrics,
  onShutdownSignal,
  parseConfig,
  type MessageBus,
  initTracing,
} from '@pp/platform';
import * as path from 'node:path';
import { banner, ensureDemo, operatorKey, type FirstRunState } from './first-run';

async function main(): Promise<void> {
  const config = parseConfig(gatewayEnvSchema.extend({ ...consumerRetryEnv, ...kafkaSecurityEnv }), process.env);
  const deadLetterPolicy = deadLetterPolicyFrom(config);
  const kafkaSecurity = kafkaSecurityFrom(config); // checked even without KAFKA_BROKERS: a half-made setup is reported
  const logger = createLogger('embedded', config.LOG_LEVEL, config.LOG_FORMAT);
  const tracing = initTracing('embedded', process.env, logger); // off unless OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER
  const started = Date.now();
  const dataDir = path.resolve(config.DATA_DIR);
  const operator = operatorKey(dataDir, config.ADMIN_API_KEY);
  const db = config.DATABASE_URL ? createDb({ kind: 'pg', url: config.DATABASE_URL }) : createDb({ kind: 'pglite', dataDir: path.join(dataDir, 'pg') });
  const metrics = new Metrics('embedded');
  const bus: MessageBus = config.KAFKA_BROKERS
    ? new KafkaBus({ brokers: config.KAFKA_BROKERS, clientId: 'embedded', logger, metrics, security: kafkaSecurity })
    : new EmbeddedBus(db, logger, undefined, undefined, metrics);
  const loopback = '127.0.0.1';
  const ledger = await startLedger({ db, bus, logger: logger.child({ service: 'ledger' }), grpcHost: loopback, grpcPort: 0, metrics });
  const ledgerAddress = `${loopback}:${ledger.grpcPort}`;
  const cases = await startCaseLifecycle({
    db,
    bus,
    logger: logger.child({ service: 'case-lifecycle' }),
    grpcHost: loopback,
    grpcPort: 0,
    metrics,
    deadLetterPolicy,
    webhooks: {
      retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
      disableAfter: config.WEBHOOK_DISABLE_AFTER,
      allowInsecure: config.WEBHOOK_ALLOW_INSECURE,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    },
  });
  const mail = config.SMTP_URL ? smtpTransport(config.SMTP_URL) : fileTransport(path.join(dataDir, 'mail'));
  const followUp = await startFollowUp({
    db,
    bus,
    logger: logger.child({ service: 'follow-up' }),
    grpcHost: loopback,
    grpcPort: 0,
    chaseAfterMs: config.FOLLOW_UP_CHASE_AFTER,
    reminderIntervalMs: config.FOLLOW_UP_REMINDER_INTERVAL,
    mail,
    metrics,
    deadLetterPolicy,
  });
  const gateway = await startGateway({
    db,
    logger: logger.child({ service: 'gateway' }),
    host: config.HOST,
    port: config.PORT,
    adminApiKey: operator.key,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    ledgerAddress,
    caseLifecycleAddress: `${loopback}:${cases.grpcPort}`,
    followUpAddress: `${loopback}:${followUp.grpcPort}`,
    inProcessCalls: true,
    metrics,
  });
  onShutdownSignal(logger, async () => {
    await gateway.stop();
    await Promise.all([followUp.stop(), cases.stop(), ledger.stop()]);
    await bus.close();
    await db.destroy();
    await tracing.shutdown();
  });
  const loopbackHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  let demo: FirstRunState['demo'];
  if (operator.generated) {
    // A demo that cannot be set up (its partner deactivated, say) is no reason not to serve.
    demo = await ensureDemo(`http://${loopbackHost}:${gateway.port}`, dataDir, operator.key).catch((error: unknown) => {
      logger.warn({ err: error }, 'the demo partner could not be set up');
      return undefined;
    });
  }
  const database = config.DATABASE_URL ? 'postgres' : 'pglite';
  logger.info({ port: gateway.port, ms: Date.now() - started, database, bus: bus.kind }, `listening on http://localhost:${gateway.port}`);
  process.stdout.write(
    banner({
      url: `http://localhost:${gateway.port}`,
      dataDir,
      database: config.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : `PGlite in ${path.join(dataDir, 'pg')}`,
      operator,
      demo,
    }),
  );
  announceReady('embedded', { port: gateway.port });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`,
  );
  process.exit(1);
});
