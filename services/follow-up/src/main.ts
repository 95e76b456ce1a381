// Composition root of the follow-up process.
import * as path from 'node:path';
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
import { z } from 'zod';
import { fileTransport, smtpTransport } from './infra/mail-transport';
import { parseFollowUpFault, startFollowUp } from './service';

const schema = serviceEnvSchema.extend({
  FOLLOW_UP_CHASE_AFTER: env.duration('P14D'),
  FOLLOW_UP_REMINDER_INTERVAL: env.duration('P7D'),
  SMTP_URL: env.url(['smtp:', 'smtps:']),
  DATA_DIR: z.string().optional().default('.data'),
});

async function main(): Promise<void> {
  const config = parseConfig(schema, process.env);
  const logger = createLogger('follow-up', config.LOG_LEVEL);
  const tracing = initTracing('follow-up', process.env, logger); // off unless OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER
  const infra = distributedInfra(config, 'follow-up', logger);
  const mail = config.SMTP_URL ? smtpTransport(config.SMTP_URL) : fileTransport(path.resolve(config.DATA_DIR, 'mail'));
  const metricsServer = await startMetricsServer(infra.metrics, config.GRPC_HOST, config.METRICS_PORT);
  // `{"listening":…}` once gRPC is bound (NOT_SERVING while PostgreSQL, Kafka, the topics and the
  // consumer groups are waited for), `{"ready":…}` once the service serves.
  const service = await startFollowUp({
    ...infra,
    logger,
    grpcHost: config.GRPC_HOST,
    grpcPort: config.GRPC_PORT,
    chaseAfterMs: config.FOLLOW_UP_CHASE_AFTER,
    reminderIntervalMs: config.FOLLOW_UP_REMINDER_INTERVAL,
    mail,
    fault: parseFollowUpFault(process.env.PP_FAULT_INJECTION), // test-only seam, inert when unset
    deadLetterPolicy: deadLetterPolicyFrom(config),
    onListening: (grpcPort) => announceListening('follow-up', { grpcPort, metricsPort: metricsServer.port }),
  });
  onShutdownSignal(logger, async () => {
    await metricsServer.close();
    await service.stop();
    await infra.bus.close();
    await infra.db.destroy();
    await tracing.shutdown();
  });
  announceReady('follow-up', { grpcPort: service.grpcPort, metricsPort: metricsServer.port, mail: mail.kind });
}

main().catch((error: unknown) => {
  process.stderr.write(`follow-up failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
