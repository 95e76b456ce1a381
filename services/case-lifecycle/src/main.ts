// Composition root of the case-lifecycle process.
import {
  announceListening,
  announceReady,
  createLogger,
  deadLetterPolicyFrom,
  startMetricsServer,
  distributedInfra,
  env,
  onShutdownSignal,
  parseConfig,
  serviceEnvSchema,
  initTracing,
} from '@pp/platform';
import { startCaseLifecycle } from './service';

const schema = serviceEnvSchema.extend({
  WEBHOOK_RETRY_SCHEDULE: env.delayList('0s,5s,5m,30m,2h,5h,10h,10h'),
  WEBHOOK_DISABLE_AFTER: env.positiveInt(5),
  WEBHOOK_ALLOW_INSECURE: env.bool(false),
  WEBHOOK_ALLOW_PRIVATE: env.bool(false),
});

async function main(): Promise<void> {
  const config = parseConfig(schema, process.env);
  const logger = createLogger('case-lifecycle', config.LOG_LEVEL);
  const tracing = initTracing('case-lifecycle', process.env, logger); // off unless OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER
  const infra = distributedInfra(config, 'case-lifecycle', logger);
  const metricsServer = await startMetricsServer(infra.metrics, config.GRPC_HOST, config.METRICS_PORT);
  // `{"listening":…}` once gRPC is bound (NOT_SERVING while PostgreSQL, Kafka, the topics and the
  // consumer groups are waited for), `{"ready":…}` once the service serves.
  const service = await startCaseLifecycle({
    ...infra,
    logger,
    grpcHost: config.GRPC_HOST,
    grpcPort: config.GRPC_PORT,
    webhooks: {
      retrySchedule: config.WEBHOOK_RETRY_SCHEDULE,
      disableAfter: config.WEBHOOK_DISABLE_AFTER,
      allowInsecure: config.WEBHOOK_ALLOW_INSECURE,
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    },
    deadLetterPolicy: deadLetterPolicyFrom(config),
    onListening: (grpcPort) => announceListening('case-lifecycle', { grpcPort, metricsPort: metricsServer.port }),
  });
  onShutdownSignal(logger, async () => {
    await metricsServer.close();
    await service.stop();
    await infra.bus.close();
    await infra.db.destroy();
    await tracing.shutdown();
  });
  announceReady('case-lifecycle', { grpcPort: service.grpcPort, metricsPort: metricsServer.port });
}

main().catch((error: unknown) => {
  process.stderr.write(`case-lifecycle failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
