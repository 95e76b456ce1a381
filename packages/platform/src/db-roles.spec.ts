// The runtime role's grants as SQL (deploy/README.md prints the same statements): DML and sequences in
// the service's schema, nothing that changes it, read-only on knex's bookkeeping, identifiers quoted.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { runtimeGrantStatements } from './db-roles';
import { migrateEnvSchema, serviceEnvSchema } from './runtime';

describe('runtimeGrantStatements', () => {
  it('grants usage, DML and sequences, for later tables too, and keeps the migration tables read-only', () => {
    expect(runtimeGrantStatements('ledger', 'pp_ledger')).toEqual([
      'GRANT USAGE ON SCHEMA "ledger" TO "pp_ledger"',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "ledger" TO "pp_ledger"',
      'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "ledger" TO "pp_ledger"',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA "ledger" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "pp_ledger"',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA "ledger" GRANT USAGE, SELECT ON SEQUENCES TO "pp_ledger"',
      'REVOKE INSERT, UPDATE, DELETE ON "ledger".knex_migrations FROM "pp_ledger"',
      'REVOKE ALL ON "ledger".knex_migrations_lock FROM "pp_ledger"',
    ]);
  });

  it('never grants what changes a schema', () => {
    const sql = runtimeGrantStatements('cases', 'app').join('\n');
    expect(sql).not.toMatch(/\b(CREATE|TRUNCATE|REFERENCES|TRIGGER|ALL PRIVILEGES)\b/);
  });

  it('quotes role names as identifiers (case kept, quotes doubled)', () => {
    expect(runtimeGrantStatements('gateway', 'Ops"Role')[0]).toBe('GRANT USAGE ON SCHEMA "gateway" TO "Ops""Role"');
  });
});

describe('the two-role settings', () => {
  const service = { DATABASE_URL: 'postgres://pp_ledger@db/pp', KAFKA_BROKERS: 'k:9092' };

  it('DB_MIGRATE_AT_START: true unless set false; anything else stops the process naming it', () => {
    expect(parseConfig(serviceEnvSchema, service).DB_MIGRATE_AT_START).toBe(true);
    expect(parseConfig(serviceEnvSchema, { ...service, DB_MIGRATE_AT_START: 'false' }).DB_MIGRATE_AT_START).toBe(false);
    expect(() => parseConfig(serviceEnvSchema, { ...service, DB_MIGRATE_AT_START: 'later' })).toThrow(/DB_MIGRATE_AT_START: must be true or false/);
  });

  it('MIGRATION_DATABASE_URL: optional, a postgres URL when set', () => {
    expect(parseConfig(migrateEnvSchema, service).MIGRATION_DATABASE_URL).toBeUndefined();
    const owner = 'postgres://pp_owner:pw@db/pp?sslmode=verify-full';
    expect(parseConfig(migrateEnvSchema, { ...service, MIGRATION_DATABASE_URL: owner }).MIGRATION_DATABASE_URL).toBe(owner);
    expect(() => parseConfig(migrateEnvSchema, { ...service, MIGRATION_DATABASE_URL: 'mysql://db/pp' })).toThrow(
      /MIGRATION_DATABASE_URL: must be a postgres: or postgresql: URL/,
    );
  });
});
