// The outbox and inbox against the real PostgreSQL server and a real Kafka broker.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  claimInbox,
  createDb,
  createInboxTable,
  createLogger,
  createOutboxTable,
  KafkaBus,
  migrate,
  OutboxRelay,
  UnitOfWork,
  type Db,
  type IncomingMessage,
} from '@pp/platform';
import { pollUntil } from '@pp/testing';

const logger = createLogger('outbox-test', 'silent');
const schema = `outbox_test_${Date.now()}`;
let db: Db;
let bus: KafkaBus;
const topic = `outbox-test-${Date.now()}`;

beforeAll(async () => {
  expect(inject('databaseUrl')).toMatch(/^postgres/);
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
  await migrate(db, schema, [
    {
      name: '1_outbox_inbox_and_effects',
      up: async (k, s) => {
        await createOutboxTable(k, s);
        await createInboxTable(k, s);
        await k.schema.withSchema(s).createTable('effects', (t) => {
          t.text('event_id');
        });
      },
    },
  ]);
  bus = new KafkaBus({ brokers: inject('kafkaBrokers').split(','), clientId: 'outbox-test', logger });
  await bus.ensureTopics([{ name: topic, partitions: 2 }]);
});

afterAll(async () => {
  await bus?.close();
  await db?.destroy();
});

/** A consumer whose effect is one row per applied event, deduplicated by the inbox. */
async function consume(groupId: string, seen: IncomingMessage[]) {
  return bus.subscribe({
    groupId,
    topics: [topic],
    handle: async (m) => {
      seen.push(m);
      await db.transaction(async (trx) => {
        if (await claimInbox(trx, schema, groupId, m.headers['event-id']!))
          await trx.withSchema(schema).table('effects').insert({ event_id: m.headers['event-id'] });
      });
    },
  });
}

describe('transactional outbox on PostgreSQL + Kafka', () => {
  it('publishes nothing for a transaction that rolled back, and the committed event once', async () => {
    const relay = new OutboxRelay({ db, schema, bus, logger, pollMs: 50 });
    const uow = new UnitOfWork(db, schema, relay);
    const rolledBack = randomUUID();
    await expect(
      uow.run(async (tx) => {
        tx.emit({ id: rolledBack, topic, key: 'case-1', value: '{"x":1}' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const committed = randomUUID();
    await uow.run(async (tx) => tx.emit({ id: committed, topic, key: 'case-1', value: '{"x":2}' }));
    const seen: IncomingMessage[] = [];
    const sub = await consume(`g-${randomUUID()}`, seen);
    relay.start();
    await pollUntil(async () => seen.some((m) => m.headers['event-id'] === committed), { timeoutMs: 30_000, what: 'committed event' });
    expect(seen.some((m) => m.headers['event-id'] === rolledBack)).toBe(false);
    expect(await relay.backlog()).toBe(0);
    await relay.stop();
    await sub.stop();
  });

  it('re-sends after a relay dies between publish and mark, and the consumer applies it once', async () => {
    const eventId = randomUUID();
    const crashing = new OutboxRelay({ db, schema, bus, logger, afterPublish: () => Promise.reject(new Error('killed between publish and mark')) });
    const uow = new UnitOfWork(db, schema, { nudge: () => undefined });
    await uow.run(async (tx) => tx.emit({ id: eventId, topic, key: 'case-2', value: '{"y":1}' }));
    await expect(crashing.drainOnce()).rejects.toThrow('killed between publish and mark');
    expect(await crashing.backlog()).toBeGreaterThan(0); // not marked: the crash rolled the mark back
    const healthy = new OutboxRelay({ db, schema, bus, logger });
    while ((await healthy.drainOnce()) > 0);
    const groupId = `g-${randomUUID()}`;
    const seen: IncomingMessage[] = [];
    const sub = await consume(groupId, seen);
    await pollUntil(async () => seen.filter((m) => m.headers['event-id'] === eventId).length >= 2, { timeoutMs: 30_000, what: 'the event delivered twice' });
    await sub.stop();
    const effects = await db.withSchema(schema).table('effects').where('event_id', eventId);
    expect(effects).toHaveLength(1);
  });

  it('a consumer applies a redelivered event once (inbox)', async () => {
    const groupId = `g-${randomUUID()}`;
    const eventId = randomUUID();
    await bus.publish([1, 2, 3].map(() => ({ topic, key: 'case-3', value: '{}', headers: { 'event-id': eventId } })));
    const seen: IncomingMessage[] = [];
    const sub = await consume(groupId, seen);
    await pollUntil(async () => seen.filter((m) => m.headers['event-id'] === eventId).length === 3, { timeoutMs: 30_000, what: 'three deliveries' });
    await sub.stop();
    expect(await db.withSchema(schema).table('effects').where('event_id', eventId)).toHaveLength(1);
  });
});
