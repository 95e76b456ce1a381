// Least privilege on PostgreSQL. The role that owns a service's schema runs its migrations (the migrate
// Job, `node dist/migrate.js` with MIGRATION_DATABASE_URL) and then grants the runtime role (the one in
// DATABASE_URL) exactly what the running service uses: DML on its tables, its sequences. A service
// started with DB_MIGRATE_AT_START=false runs no DDL at all: it reads its schema's migration table and
// waits, logged and NOT_SERVING, until every migration it knows has been applied.
import { migrate, type Db, type Migration } from './db';
import type { Logger } from './logger';
import { retryUntilDone } from './retry';

const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * What the runtime role gets in `schema`, as SQL (deploy/README.md shows the same statements). The
 * runtime uses no DDL, TRUNCATE, LISTEN/NOTIFY or temporary tables; its advisory locks
 * (pg_try_advisory_xact_lock) and SELECT … FOR UPDATE need no more than this. Default privileges make
 * tables that a later migration creates follow, should one be created outside `migrate` (the migrate
 * command grants again after every run anyway). Knex's own bookkeeping stays the owner's: the runtime
 * may read which migrations ran, never change it.
 */
export function runtimeGrantStatements(schema: string, role: string): string[] {
  const s = quoteIdent(schema);
  const r = quoteIdent(role);
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
    `REVOKE INSERT, UPDATE, DELETE ON ${s}.knex_migrations FROM ${r}`,
    `REVOKE ALL ON ${s}.knex_migrations_lock FROM ${r}`,
  ];
}

/** Runs the grants of runtimeGrantStatements in one transaction, as the schema's owner. */
export async function grantRuntimeRole(owner: Db, schema: string, role: string): Promise<void> {
  await owner.transaction(async (trx) => {
    for (const sql of runtimeGrantStatements(schema, role)) await trx.raw(sql);
  });
}

/** The role a connection logs in as (what PostgreSQL checks privileges against). */
export async function currentRole(db: Db): Promise<string> {
  const res = await db.raw<{ rows: { role: string }[] }>('SELECT current_user AS role');
  return res.rows[0]!.role;
}

/**
 * The names of `migrations` not yet applied in `schema`, read without DDL. An error means the schema is
 * not readable (yet): it does not exist, or this role has not been granted it.
 */
export async function pendingMigrations(db: Db, schema: string, migrations: readonly Migration[]): Promise<string[]> {
  const applied = new Set((await db.withSchema(schema).table('knex_migrations').select<{ name: string }[]>('name')).map((r) => r.name));
  // Names this code does not know are a newer release's (its migrate Job ran first): forward-only
  // migrations keep the schema usable by the release before, so they do not stop this process.
  return migrations.map((m) => m.name).filter((name) => !applied.has(name));
}

/** Resolves when every migration is applied; otherwise fails with a message that says who must act. */
export async function assertMigrated(db: Db, schema: string, migrations: readonly Migration[]): Promise<void> {
  let pending: string[];
  try {
    pending = await pendingMigrations(db, schema, migrations);
  } catch (error) {
    throw new Error(
      `schema ${schema} is not readable by this role yet (${errorMessage(error)}): its migrate Job creates it and grants the runtime role (node dist/migrate.js with MIGRATION_DATABASE_URL)`,
      { cause: error },
    );
  }
  if (pending.length > 0) throw new Error(`schema ${schema} lacks ${pending.length} migration(s) (${pending.join(', ')}): waiting for its migrate Job`);
}

export interface PrepareSchemaOptions {
  readonly db: Db;
  readonly schema: string;
  readonly migrations: readonly Migration[];
  readonly logger: Logger;
  /** false: this process's role may not change the schema; wait for the migrate Job instead (DB_MIGRATE_AT_START) */
  readonly migrateAtStart?: boolean;
  /** true ends the wait with RetryStopped (./retry.ts) */
  readonly stopped?: () => boolean;
}

/**
 * A service's schema before it serves: migrated by this process (the default: one role that may do
 * everything, as `npm start` and the tests run), or, with `migrateAtStart: false`, checked without DDL
 * and waited for. Either way a late database, or a Job that has not run yet, is retried and logged,
 * never a reason to exit.
 */
export async function prepareSchema(service: string, o: PrepareSchemaOptions): Promise<void> {
  const wait = { logger: o.logger, stopped: o.stopped };
  if (o.migrateAtStart === false) {
    await retryUntilDone(`PostgreSQL (${service} schema migrated by its migrate Job)`, () => assertMigrated(o.db, o.schema, o.migrations), wait);
    return;
  }
  await retryUntilDone(`PostgreSQL (${service} migrations)`, () => migrateWithHint(o.db, o.schema, o.migrations), wait);
}

async function migrateWithHint(db: Db, schema: string, migrations: readonly Migration[]): Promise<void> {
  try {
    await migrate(db, schema, migrations);
  } catch (error) {
    if (sqlState(error) !== INSUFFICIENT_PRIVILEGE) throw error;
    throw new Error(
      `${errorMessage(error)}: this role may not migrate schema ${schema}; run its migrate Job as the schema's owner (MIGRATION_DATABASE_URL) and start the service with DB_MIGRATE_AT_START=false`,
      { cause: error },
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
