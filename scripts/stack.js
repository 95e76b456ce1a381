// `npm run stack`: the distributed shape on this machine — four service processes on real PostgreSQL
// and Kafka, provisioned as for the tests (Testcontainers, or local PostgreSQL + Kafka from its jars).
// DATABASE_URL / KAFKA_BROKERS, when set, are used instead of provisioning. MIGRATION_DATABASE_URL (with
// DATABASE_URL) runs as two roles: each schema is migrated as that owner role first, as the Kubernetes
// migrate Jobs do, then the services run as DATABASE_URL's role with DML only (README).
const { ensureInstalled, ensureBuilt } = require('./ensure');

async function main() {
  ensureInstalled();
  ensureBuilt();
  const testing = require('../packages/testing/dist');
  const log = (line) => process.stdout.write(`[stack] ${line}\n`);
  const migrationDatabaseUrl = process.env.MIGRATION_DATABASE_URL || undefined;
  if (migrationDatabaseUrl && !process.env.DATABASE_URL) throw new Error('MIGRATION_DATABASE_URL (the schema owner) needs DATABASE_URL (the runtime role) too');
  let infra;
  if (process.env.DATABASE_URL && process.env.KAFKA_BROKERS) {
    infra = { databaseUrl: process.env.DATABASE_URL, kafkaBrokers: process.env.KAFKA_BROKERS, stop: async () => undefined };
  } else {
    infra = await testing.provisionInfra(log);
    if (process.env.DATABASE_URL) infra.databaseUrl = process.env.DATABASE_URL;
  }
  const port = Number(process.env.PORT ?? 3000);
  if (migrationDatabaseUrl) log('migrating each schema as the MIGRATION_DATABASE_URL role; the services run as the DATABASE_URL role');
  const stack = await testing.startStack({
    databaseUrl: infra.databaseUrl,
    migrationDatabaseUrl,
    kafkaBrokers: infra.kafkaBrokers,
    port,
    env: {},
    output: process.stdout,
  });
  log(`gateway listening on ${stack.gatewayUrl.replace('127.0.0.1', 'localhost')} (ports ${JSON.stringify(stack.ports)})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    await infra.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`stack failed: ${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
