// Runs the gateway's forward-only migrations and exits: the command of its migration Job in Kubernetes
// (`node dist/migrate.js`). The service still migrates at start, so this is safe to run any number of times.
import { createDb, createLogger, migrate, parseConfig, serviceEnvSchema } from '@pp/platform';
import { migrations, SCHEMA } from './migrations';

async function main(): Promise<void> {
  const config = parseConfig(serviceEnvSchema.pick({ DATABASE_URL: true, LOG_LEVEL: true }), process.env);
  const logger = createLogger('gateway-migrate', config.LOG_LEVEL);
  const db = createDb({ kind: 'pg', url: config.DATABASE_URL, poolMax: 2 });
  try {
    await migrate(db, SCHEMA, migrations);
    logger.info({ schema: SCHEMA, latest: migrations.at(-1)?.name }, 'schema up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
