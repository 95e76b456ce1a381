// Composition root of the gateway process (distributed mode).
import {
  announceListening,
  announceReady,
  createDb,
  createLogger,
  Metrics,
  onShutdownSignal,
  parseConfig,
  initTracing,
  startMetricsServer,
} from '@pp/platform';
import { gatewayEnvSchema, gatewayMetricsEnv, metricsListeners } from './config';
import { startGateway } from './service';

async function main(): Promise<void> {
  const config = parseConfig(gatewayEnvSchema.extend(gatewayMetricsEnv), process.env);
  const metricsAt = metricsListeners(config);
  const logger = createLogger('gateway', config.LOG_LEVEL, config.LOG_FORMAT);
  const tracing = initTracing('gateway', process.env, logger); // off unless OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER
  const missing = ['DATABASE_URL', 'LEDGER_GRPC_ADDRESS', 'CASE_LIFECYCLE_GRPC_ADDRESS', 'FOLLOW_UP_GRPC_ADDRESS'].filter(
    (k) => !config[k as keyof typeof config],
  );
  if (missing.length > 0) throw new Error(`Invalid configuration: ${missing.join(', ')} required for the gateway process`);
  const db = createDb({ kind: 'pg', url: config.DATABASE_URL! });
  const metrics = new Metrics('gateway');
  // The scrape port, off the public API (deploy/ sets METRICS_PORT and METRICS_ON_API_PORT=false).
  const metricsServer = metricsAt.port !== undefined ? await startMetricsServer(metrics, config.HOST, metricsAt.port) : undefined;
  const metricsPort: Record<string, number> = metricsServer ? { metricsPort: metricsServer.port } : {};
  const gateway = await startGateway({
    db,
    logger,
    host: config.HOST,
    port: config.PORT,
    adminApiKey: config.ADMIN_API_KEY,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    ledgerAddress: config.LEDGER_GRPC_ADDRESS!,
    caseLifecycleAddress: config.CASE_LIFECYCLE_GRPC_ADDRESS!,
    followUpAddress: config.FOLLOW_UP_GRPC_ADDRESS!,
    metrics,
    metricsOnApiPort: metricsAt.onApiPort,
    migrateAtStart: config.DB_MIGRATE_AT_START,
    // `{"listening":…}` once HTTP is bound (/readyz 503 while the database is waited for), `{"ready":…}` once it serves.
    onListening: (port) => announceListening('gateway', { port, ...metricsPort }),
  });
  onShutdownSignal(logger, async () => {
    await metricsServer?.close();
    await gateway.stop();
    await db.destroy();
    await tracing.shutdown();
  });
  announceReady('gateway', { port: gateway.port, ...metricsPort });
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
