// Composition root of the follow-up process.
import { announceReady, createLogger, distributedInfra, env, onShutdownSignal, parseConfig, serviceEnvSchema } from '@pp/platform';
import { startFollowUp } from './service';

const schema = serviceEnvSchema.extend({ FOLLOW_UP_CHASE_AFTER: env.duration('P14D'), FOLLOW_UP_REMINDER_INTERVAL: env.duration('P7D') });

async function main(): Promise<void> {
  const config = parseConfig(schema, process.env);
  const logger = createLogger('follow-up', config.LOG_LEVEL);
  const infra = distributedInfra(config, 'follow-up', logger);
  const service = await startFollowUp({ ...infra, logger, grpcHost: config.GRPC_HOST, grpcPort: config.GRPC_PORT, chaseAfterMs: config.FOLLOW_UP_CHASE_AFTER });
  onShutdownSignal(logger, async () => {
    await service.stop();
    await infra.bus.close();
    await infra.db.destroy();
  });
  announceReady('follow-up', { grpcPort: service.grpcPort });
}

main().catch((error: unknown) => {
  process.stderr.write(`follow-up failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
