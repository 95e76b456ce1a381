// PostgreSQL through knex: `pg` for real servers, PGlite (embedded Postgres) behind the same interface.
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import * as fs from 'node:fs';
import pg from 'pg';
import { PGliteWorker } from './pglite-worker';

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the pool or a transaction: query modules take this as their first argument. */
export type Queryable = Knex | Knex.Transaction;

// bigint columns come back as strings (as pg does by default): money never passes through a double.
pg.types.setTypeParser(20, (v) => v);
// date columns are calendar dates, not instants: they come back as their text, YYYY-MM-DD (pg would make a
// Date at local midnight, PGlite one at UTC midnight; neither is the date once the time zone is not UTC).
pg.types.setTypeParser(1082, (v) => v);

interface KnexQueryObject {
  method?: string;
  returning?: unknown;
  output?: unknown;
  response?: { affectedRows?: number; rowCount?: number };
}

/**
 * knex-pglite on our terms, twice:
 * - it answers a `delete()` with the raw result instead of the affected-row count that knex gives on
 *   pg (it names the command `DEL`, which knex does not recognise): every caller that checks a count
 *   (`=== 0` → 404) would be wrong on the embedded default. Same answer on both, here, once.
 * - every pooled "connection" is the one PGlite, and knex-pglite closes it whenever the pool destroys a
 *   connection. The pool also destroys connections it no longer wants: one whose creation finished after
 *   its acquire had timed out (a first start slower than 60 s on a busy machine), or one it reaps. That
 *   closed the database for good, and the process never became ready. Only destroying the knex instance
 *   (shutdown) closes PGlite now.
 */
const PgLiteClient = class extends (ClientPgLite as unknown as new (config: Knex.Config) => {
  processResponse(obj: KnexQueryObject, runner: unknown): unknown;
  destroyRawConnection(connection: unknown): Promise<void>;
  destroy(callback?: unknown): Promise<unknown>;
}) {
  private shuttingDown = false;

  override processResponse(obj: KnexQueryObject, runner: unknown): unknown {
    if (obj.method === 'del' && !obj.returning && !obj.output && obj.response) return obj.response.affectedRows ?? obj.response.rowCount ?? 0;
    return super.processResponse(obj, runner);
  }

  override async destroy(callback?: unknown): Promise<unknown> {
    this.shuttingDown = true;
    return super.destroy(callback);
  }

  override async destroyRawConnection(connection: unknown): Promise<void> {
    if (this.shuttingDown) await super.destroyRawConnection(connection);
  }
};

export type DbOptions = { kind: 'pg'; url: string; poolMax?: number } | { kind: 'pglite'; dataDir: string };

export function createDb(options: DbOptions): Db {
  if (options.kind === 'pg') {
    // Bounded: a connection attempt to an unreachable server fails within 5 s (and knex hands the error
    // to the waiting query), so callers that retry (start-up, readiness) never hang on one attempt.
    return knexFactory({
      client: 'pg',
      connection: { connectionString: options.url, connectionTimeoutMillis: 5_000 },
      pool: { min: 0, max: options.poolMax ?? 10 },
    });
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  // On its own thread, so the event loop never waits for a query (./pglite-worker.ts).
  const pglite = new PGliteWorker(options.dataDir);
  return knexFactory({ client: PgLiteClient as unknown as typeof Knex.Client, dialect: 'postgres', connection: () => ({ pglite }) as object } as Knex.Config);
}

export interface Migration {
  readonly name: string;
  up(db: Knex, schema: string): Promise<void>;
}

/** Forward-only migrations of one service, in its own schema, tracked in that schema. */
export async function migrate(db: Db, schema: string, migrations: readonly Migration[]): Promise<void> {
  await db.raw(`CREATE SCHEMA IF NOT EXISTS ??`, [schema]);
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: () => Promise.resolve([...migrations]),
    getMigrationName: (m) => m.name,
    getMigration: (m) => Promise.resolve({ up: (k: Knex) => m.up(k, schema), down: () => Promise.reject(new Error('migrations are forward-only')) }),
  };
  await db.migrate.latest({ migrationSource: source, schemaName: schema, tableName: 'knex_migrations' });
}

export async function ping(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
