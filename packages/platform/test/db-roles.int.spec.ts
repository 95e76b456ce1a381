// Least privilege on a real PostgreSQL server, one schema and two roles: a process that may not migrate
// (DB_MIGRATE_AT_START=false) waits, logged, until the owner has migrated and granted; then the runtime
// role reads and writes rows (sequences included), also of a table a later migration adds, and every
// statement that would change the schema is refused.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, grantRuntimeRole, migrate, prepareSchema, RetryStopped, type Db, type Migration } from '@pp/platform';
import { createTwoRoleDatabase, pollUntil, type TwoRoleDatabase } from '@pp/testing';

const SCHEMA = 'roles_demo';
const first: Migration = {
  name: '20261203_things',
  up: async (db, schema) => {
    await db.schema.withSchema(schema).createTable('things', (t) => {
      t.bigIncrements('seq').primary();
      t.text('name').notNullable();
    });
  },
};
const later: Migration = {
  name: '20261204_more_things',
  up: (db, schema) => db.schema.withSchema(schema).createTable('more_things', (t) => t.bigIncrements('seq').primary()),
};

let roles: TwoRoleDatabase;
let owner: Db;
let runtime: Db;

beforeAll(async () => {
  roles = await createTwoRoleDatabase(inject('databaseUrl'), 'pp_dbroles');
  owner = createDb({ kind: 'pg', url: roles.ownerUrl, poolMax: 2 });
  runtime = createDb({ kind: 'pg', url: roles.runtimeUrl, poolMax: 2 });
});

afterAll(async () => {
  await owner?.destroy();
  await runtime?.destroy();
  await roles?.drop();
});

/** The SQLSTATE a statement run as the runtime role fails with (undefined when it succeeds). */
async function refusal(sql: string): Promise<string | undefined> {
  try {
    await runtime.raw(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('a runtime role with DML only', () => {
  it('waits for the migrate Job, then serves; it may not create, alter, drop or truncate', async () => {
    const lines: { msg?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    const prepared = prepareSchema('demo', { db: runtime, schema: SCHEMA, migrations: [first], logger: pino({ level: 'warn' }, sink), migrateAtStart: false });
    // Waiting, not exiting: the schema does not exist and nothing has been granted yet.
    const waiting = await pollUntil(async () => lines.find((l) => l.msg?.startsWith('waiting for PostgreSQL (demo schema migrated by its migrate Job)')), {
      timeoutMs: 15_000,
      what: 'the logged wait for the migrate Job',
    });
    expect(JSON.stringify(waiting)).toContain('migrate Job');

    // The Job: migrate as the owner, then grant the runtime role.
    await migrate(owner, SCHEMA, [first]);
    await grantRuntimeRole(owner, SCHEMA, roles.runtimeRole);
    await prepared;

    // Rows: insert (the bigserial's sequence), read, update, delete.
    const [row] = await runtime.withSchema(SCHEMA).table('things').insert({ name: 'a' }).returning<{ seq: string }[]>('seq');
    expect(await runtime.withSchema(SCHEMA).table('things').where({ seq: row!.seq }).update({ name: 'b' })).toBe(1);
    expect(await runtime.withSchema(SCHEMA).table('things').where({ seq: row!.seq }).first()).toMatchObject({ name: 'b' });
    await runtime.transaction(async (trx) => {
      await trx.withSchema(SCHEMA).table('things').forUpdate().skipLocked().select();
      await trx.raw('SELECT pg_try_advisory_xact_lock(hashtext(?))', ['outbox:roles_demo']);
    });
    expect(await runtime.withSchema(SCHEMA).table('things').where({ seq: row!.seq }).delete()).toBe(1);

    // The schema: every change is refused (42501 insufficient_privilege; "must be owner" is 42501 too).
    expect(await refusal(`CREATE TABLE ${SCHEMA}.intruder (id int)`)).toBe('42501');
    expect(await refusal(`ALTER TABLE ${SCHEMA}.things ADD COLUMN intruder int`)).toBe('42501');
    expect(await refusal(`DROP TABLE ${SCHEMA}.things`)).toBe('42501');
    expect(await refusal(`TRUNCATE ${SCHEMA}.things`)).toBe('42501');
    expect(await refusal(`CREATE INDEX intruder ON ${SCHEMA}.things (name)`)).toBe('42501');
    expect(await refusal(`CREATE SCHEMA intruder`)).toBe('42501');
    expect(await refusal(`CREATE TEMP TABLE intruder (id int)`)).toBe('42501'); // TEMP revoked from PUBLIC: not needed either
    expect(await refusal(`DROP SCHEMA ${SCHEMA} CASCADE`)).toBe('42501');
    // knex's bookkeeping is the owner's: readable, not writable.
    expect(await refusal(`SELECT name FROM ${SCHEMA}.knex_migrations`)).toBeUndefined();
    expect(await refusal(`DELETE FROM ${SCHEMA}.knex_migrations`)).toBe('42501');
    expect(await refusal(`UPDATE ${SCHEMA}.knex_migrations_lock SET is_locked = 1`)).toBe('42501');
  });

  it('a table a later migration adds is usable by the runtime role at once (default privileges), and a process that knows it waits for it', async () => {
    const lines: { msg?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    const newer = prepareSchema('demo', {
      db: runtime,
      schema: SCHEMA,
      migrations: [first, later],
      logger: pino({ level: 'warn' }, sink),
      migrateAtStart: false,
    });
    await pollUntil(async () => lines.some((l) => l.msg?.startsWith('waiting for PostgreSQL (demo schema migrated by its migrate Job)')), {
      timeoutMs: 15_000,
      what: 'the wait for the newer migration',
    });
    // Migrated without granting again: the owner's default privileges cover the new table and its sequence.
    await migrate(owner, SCHEMA, [first, later]);
    await newer;
    await runtime.withSchema(SCHEMA).table('more_things').insert({});
    expect(await runtime.withSchema(SCHEMA).table('more_things').count<{ count: string }[]>({ count: '*' })).toEqual([{ count: '1' }]);
    // The release before, which knows only the first migration, still starts on the newer schema.
    await prepareSchema('demo', { db: runtime, schema: SCHEMA, migrations: [first], logger: pino({ level: 'silent' }), migrateAtStart: false });
  });
});

describe('a runtime role left to migrate at start (DB_MIGRATE_AT_START unset)', () => {
  it('is refused, and the log says which setting and which Job to use instead', async () => {
    const lines: { msg?: string; err?: { message?: string } }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    let stop = false;
    const attempt = prepareSchema('demo', { db: runtime, schema: SCHEMA, migrations: [first], logger: pino({ level: 'warn' }, sink), stopped: () => stop });
    const refused = await pollUntil(async () => lines.find((l) => l.msg?.startsWith('waiting for PostgreSQL (demo migrations)')), {
      timeoutMs: 15_000,
      what: 'the refused migration',
    });
    expect(refused.err?.message).toMatch(
      /permission denied for database .*: this role may not migrate schema roles_demo; .*MIGRATION_DATABASE_URL.*DB_MIGRATE_AT_START=false/,
    );
    stop = true;
    await expect(attempt).rejects.toBeInstanceOf(RetryStopped);
  });
});
