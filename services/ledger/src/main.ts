// Composition root of the ledger process.
import {
  announceListening,
  announceReady,
  createLogger,
  startMetricsServer,
  distributedInfra,
  onShutdownSignal,
  parseConfig,
  serviceEnvSchema,
  initTracing,
} from '@pp/platform';
import { parseLedgerFault, startLedger } from './service';

async function main(): Promise<void> {
  const config = parseConfig(serviceEnvSchema, process.env);
  const logger = createLogger('ledger', config.LOG_LEVEL);
  const tracing = initTracing('ledger', process.env, logger); // off unless OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER
  const fault = parseLedgerFault(process.env.PP_FAULT_INJECTION); // test-only seam, inert when unset
  const infra = distributedInfra(config, 'ledger', logger);
  const metricsServer = await startMetricsServer(infra.metrics, config.GRPC_HOST, config.METRICS_PORT);
  // `{"listening":…}` once gRPC is bound (NOT_SERVING while PostgreSQL and Kafka are waited for), `{"ready":…}` once it serves.
  const onListening = (grpcPort: number) => announceListening('ledger', { grpcPort, metricsPort: metricsServer.port });
  const ledger = await startLedger({ ...infra, logger, grpcHost: config.GRPC_HOST, grpcPort: config.GRPC_PORT, fault, onListening });
  onShutdownSignal(logger, async () => {
    await metricsServer.close();
    await ledger.stop();
    await infra.bus.close();
    await infra.db.destroy();
    await tracing.shutdown();
  });
  announceReady('ledger', { grpcPort: ledger.grpcPort, metricsPort: metricsServer.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`ledger failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
