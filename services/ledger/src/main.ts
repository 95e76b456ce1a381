// Composition root of the ledger process.
import { announceReady, createLogger, distributedInfra, onShutdownSignal, parseConfig, serviceEnvSchema } from '@pp/platform';
import { startLedger } from './service';

async function main(): Promise<void> {
  const config = parseConfig(serviceEnvSchema, process.env);
  const logger = createLogger('ledger', config.LOG_LEVEL);
  const infra = distributedInfra(config, 'ledger', logger);
  const ledger = await startLedger({ ...infra, logger, grpcHost: config.GRPC_HOST, grpcPort: config.GRPC_PORT });
  onShutdownSignal(logger, async () => {
    await ledger.stop();
    await infra.bus.close();
    await infra.db.destroy();
  });
  announceReady('ledger', { grpcPort: ledger.grpcPort });
}

main().catch((error: unknown) => {
  process.stderr.write(`ledger failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
