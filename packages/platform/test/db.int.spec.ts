// The two database adapters answer alike: PostgreSQL through pg, and PGlite (the embedded default).
// Callers trust affected-row counts (a delete of nothing is a 404), so both must give numbers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-db-'));
const adapters: [string, Db][] = [
  ['pg', createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 })],
  ['pglite', createDb({ kind: 'pglite', dataDir: dir })],
];

afterAll(async () => {
  for (const [, db] of adapters) await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(adapters)('%s', (name, db) => {
  it('update and delete answer the number of rows they touched', async () => {
    const table = `adapter_counts_${name}_${process.pid}`;
    await db.schema.dropTableIfExists(table);
    await db.schema.createTable(table, (t) => t.integer('id'));
    await db(table).insert([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(await db(table).where('id', 9).update({ id: 8 })).toBe(0);
    expect(await db(table).where('id', '>', 1).update({ id: 7 })).toBe(2);
    expect(await db(table).where('id', 9).delete()).toBe(0);
    expect(await db(table).where('id', 7).delete()).toBe(2);
    await db.transaction(async (trx) => expect(await trx(table).where('id', 1).delete()).toBe(1));
    await db.schema.dropTable(table);
  });
});
