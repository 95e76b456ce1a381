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

describe('pglite: one database behind every pooled "connection"', () => {
  it('stays open when the pool discards a connection (an acquire that timed out while PGlite was still starting), and closes on destroy', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-db-discard-'));
    const db = createDb({ kind: 'pglite', dataDir: own });
    try {
      await db.raw('CREATE TABLE kept (id integer)');
      await db('kept').insert({ id: 1 });
      // what tarn does with a connection created after its acquire timed out, or one it reaps
      const client = db.client as { acquireRawConnection(): Promise<unknown>; destroyRawConnection(c: unknown): Promise<void> };
      await client.destroyRawConnection(await client.acquireRawConnection());
      expect(await db('kept').count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '1' }]);
    } finally {
      await db.destroy();
    }
    // closed cleanly: the data is there for the next process
    const again = createDb({ kind: 'pglite', dataDir: own });
    try {
      expect(await again('kept').select('id')).toEqual([{ id: 1 }]);
    } finally {
      await again.destroy();
      fs.rmSync(own, { recursive: true, force: true });
    }
  });
});
