// The embedded default's bus on PGlite (what `npm start` runs): only the consumers of a topic are woken
// by a publish, the group's offset is committed per batch (and for the part done when a handler
// throws), and a restarted consumer goes on after its committed offset.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createLogger, EmbeddedBus, type Db, type IncomingMessage } from '@pp/platform';
import { pollUntil } from '@pp/testing';

let dir: string;
let db: Db;
let bus: EmbeddedBus;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-embedded-bus-'));
  db = createDb({ kind: 'pglite', dataDir: dir });
  // a long poll interval: a message is seen only because its publish woke the consumer
  bus = new EmbeddedBus(db, createLogger('embedded-bus-test', 'silent'), 4, 60_000);
  await bus.ensureTopics();
});

afterAll(async () => {
  await bus?.close();
  await db?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const committed = async (group: string, topic: string) =>
  (await db.withSchema('bus').table('group_offsets').where({ group_id: group, topic }).first<{ committed: string } | undefined>())?.committed;

describe('EmbeddedBus', () => {
  it('wakes only the consumers of the published topic, and each consumer sees its messages once, in order', async () => {
    const seen: Record<string, string[]> = { a: [], b: [] };
    const subA = await bus.subscribe({ groupId: 'g-a', topics: ['topic-a'], handle: async (m) => void seen.a!.push(m.value) });
    const subB = await bus.subscribe({ groupId: 'g-b', topics: ['topic-b'], handle: async (m) => void seen.b!.push(m.value) });
    await bus.publish(['1', '2', '3'].map((v) => ({ topic: 'topic-a', key: 'k', value: v })));
    await pollUntil(async () => seen.a!.length === 3, { what: 'topic-a consumed' });
    expect(seen).toEqual({ a: ['1', '2', '3'], b: [] });
    await bus.publish([{ topic: 'topic-b', key: 'k', value: 'x' }]);
    await pollUntil(async () => seen.b!.length === 1, { what: 'topic-b consumed' });
    expect(seen.a).toEqual(['1', '2', '3']);
    await subA.stop();
    await subB.stop();
  });

  it('commits the offset of what was handled when a handler throws, redelivers the failed message, and a restarted consumer goes on after its offset', async () => {
    const handled: string[] = [];
    let failOnce = true;
    const handle = async (m: IncomingMessage) => {
      if (m.value === '3' && failOnce) {
        failOnce = false;
        throw new Error('handler failed once');
      }
      handled.push(m.value);
    };
    // after a failure the consumer tries again at its next poll: a short one here
    const retrying = new EmbeddedBus(db, createLogger('embedded-bus-test', 'silent'), 4, 100);
    const sub = await retrying.subscribe({ groupId: 'g-retry', topics: ['topic-retry'], handle });
    await retrying.publish(['1', '2', '3', '4', '5'].map((v) => ({ topic: 'topic-retry', key: 'k', value: v })));
    await pollUntil(async () => handled.length === 5, { what: 'every message handled' });
    expect(handled).toEqual(['1', '2', '3', '4', '5']); // 1 and 2 were not handled twice
    await sub.stop();
    await retrying.close();
    const offset = await committed('g-retry', 'topic-retry');
    expect(offset).toBeDefined();

    const again: string[] = [];
    const restarted = await bus.subscribe({ groupId: 'g-retry', topics: ['topic-retry'], handle: async (m) => void again.push(m.value) });
    await bus.publish([{ topic: 'topic-retry', key: 'k', value: '6' }]);
    await pollUntil(async () => again.length === 1, { what: 'the new message after the restart' });
    expect(again).toEqual(['6']);
    expect(Number(await committed('g-retry', 'topic-retry'))).toBeGreaterThan(Number(offset));
    await restarted.stop();
  });
});
