// The dead-letter guard against the real PostgreSQL server: retry-then-park, what is never parked
// (infrastructure failures), redelivery of a parked message, the operator's retry; then through both
// buses (a real Kafka broker and the embedded bus), a poison message does not block its partition.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createDb,
  createDeadLetterTable,
  createLogger,
  DeadLetters,
  EmbeddedBus,
  KafkaBus,
  Metrics,
  migrate,
  type Db,
  type IncomingMessage,
  type MessageBus,
} from '@pp/platform';
import { pollUntil } from '@pp/testing';

const logger = createLogger('dead-letters-test', 'silent');
const schema = `dead_letters_test_${Date.now()}`;
let db: Db;

beforeAll(async () => {
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
  await migrate(db, schema, [{ name: '1_dead_letters', up: (k, s) => createDeadLetterTable(k, s) }]);
});

afterAll(async () => {
  await db?.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]).catch(() => undefined);
  await db?.destroy();
});

let offsets = 0;
function message(value: string, over: Partial<IncomingMessage> = {}): IncomingMessage {
  offsets += 1;
  return { topic: 'orders', partition: 3, offset: String(1000 + offsets), key: 'case-1', value, headers: { 'event-id': randomUUID() }, ...over };
}

function guard(policy = { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 15 }) {
  const pauses: number[] = [];
  const metrics = new Metrics('dead-letters-test');
  const deadLetters = new DeadLetters({ db, schema, logger, metrics, policy, sleep: async (ms) => void pauses.push(ms) });
  return { deadLetters, pauses, metrics };
}

const parkedCount = async (metrics: Metrics) => (await metrics.deadLettered.get()).values.reduce((n, v) => n + v.value, 0);

describe('the dead-letter guard', () => {
  it('retries a failing handler the bounded number of times with growing pauses, parks the message durably, counts it and returns', async () => {
    const { deadLetters, pauses, metrics } = guard();
    let calls = 0;
    const handle = deadLetters.wrap('g-park', async () => {
      calls += 1;
      throw new TypeError(`cannot read payment (call ${calls})`);
    });
    const m = message('{"type":"payment.recorded"}', { headers: { 'event-id': 'e-1', traceparent: 'tp' } });
    await expect(handle(m)).resolves.toBeUndefined(); // the bus commits the offset and moves on
    expect(calls).toBe(3);
    expect(pauses).toHaveLength(2); // a pause between attempts, none after the last
    expect(pauses[1]!).toBeGreaterThan(pauses[0]!);
    const [parked] = await deadLetters.list({ status: 'Parked', limit: 10 }).then((all) => all.filter((d) => d.groupId === 'g-park'));
    expect(parked).toMatchObject({
      groupId: 'g-park',
      topic: 'orders',
      partition: 3,
      offset: m.offset,
      key: 'case-1',
      value: m.value,
      headers: { 'event-id': 'e-1', traceparent: 'tp' },
      error: 'TypeError: cannot read payment (call 3)',
      attempts: 3,
      status: 'Parked',
      resolvedAt: null,
    });
    expect(Date.parse(parked!.firstFailedAt)).toBeLessThanOrEqual(Date.parse(parked!.lastFailedAt));
    expect(await parkedCount(metrics)).toBe(1);
  });

  it('hands an infrastructure failure back to the bus (redelivery) and never parks it; a handler that recovers parks nothing', async () => {
    const { deadLetters } = guard();
    const down = deadLetters.wrap('g-transient', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    await expect(down(message('{}'))).rejects.toThrow('ECONNREFUSED');
    let calls = 0;
    const flaky = deadLetters.wrap('g-flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('first time unlucky');
    });
    await flaky(message('{}'));
    expect(calls).toBe(2);
    const rows = await db.withSchema(schema).table('dead_letters').whereIn('group_id', ['g-transient', 'g-flaky']);
    expect(rows).toHaveLength(0);
  });

  it('keeps one row when a parked message is delivered again (a crash before the offset commit), and parks what PostgreSQL text cannot hold', async () => {
    const { deadLetters } = guard({ maxAttempts: 1, backoffMs: 10, maxBackoffMs: 10 });
    const handle = deadLetters.wrap('g-again', async () => {
      throw new Error('bad');
    });
    const m = message('nul \u0000 inside', { key: 'k\u0000', headers: { h: 'v\u0000' } });
    await handle(m);
    await handle(m);
    const rows = await deadLetters.list({ limit: 1000 }).then((all) => all.filter((d) => d.groupId === 'g-again'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempts: 2, value: 'nul \uFFFD inside', key: 'k\uFFFD', headers: { h: 'v\uFFFD' } });
  });

  it('lets the operator run the handler again: a failure stays parked with the new error, a success is marked resolved', async () => {
    const { deadLetters } = guard({ maxAttempts: 2, backoffMs: 10, maxBackoffMs: 10 });
    let fixed = false;
    let runs = 0;
    const handle = deadLetters.wrap('g-retry', async (m) => {
      runs += 1;
      if (!fixed) throw new Error(`still broken at run ${runs}: ${m.value}`);
    });
    await handle(message('v1'));
    const [parked] = await deadLetters.list({ limit: 1000 }).then((all) => all.filter((d) => d.groupId === 'g-retry'));
    expect(parked!.attempts).toBe(2);

    expect(await deadLetters.retry(randomUUID())).toBeUndefined();
    expect(await deadLetters.retry('not-a-uuid')).toBeUndefined();

    const failed = await deadLetters.retry(parked!.id);
    expect(failed).toMatchObject({ id: parked!.id, status: 'Parked', attempts: 3, error: 'Error: still broken at run 3: v1', resolvedAt: null });
    expect(Date.parse(failed!.lastFailedAt)).toBeGreaterThanOrEqual(Date.parse(parked!.lastFailedAt));

    fixed = true;
    const resolved = await deadLetters.retry(parked!.id.toUpperCase());
    expect(resolved).toMatchObject({ id: parked!.id, status: 'Resolved', attempts: 4 });
    expect(resolved!.resolvedAt).not.toBeNull();
    expect(await deadLetters.retry(parked!.id)).toEqual(resolved); // resolved: answered as it is, not run again
    expect(runs).toBe(4);
    expect((await deadLetters.list({ status: 'Resolved', limit: 1000 })).map((d) => d.id)).toContain(parked!.id);
    expect((await deadLetters.list({ status: 'Parked', limit: 1000 })).map((d) => d.id)).not.toContain(parked!.id);
  });
});

/** A poison message and then a good one on the same key (so the same partition): the good one is handled, the poison parked, the offset committed. */
async function poisonThenGood(bus: MessageBus, topic: string) {
  const { deadLetters, metrics } = guard({ maxAttempts: 3, backoffMs: 10, maxBackoffMs: 20 });
  const groupId = `g-${randomUUID()}`;
  const handled: string[] = [];
  let poisonRuns = 0;
  const subscribe = () =>
    bus.subscribe({
      groupId,
      topics: [topic],
      deadLetters,
      handle: async (m) => {
        const body = JSON.parse(m.value) as { n: number };
        if (body.n === 0) {
          poisonRuns += 1;
          throw new Error('poison');
        }
        handled.push(m.value);
      },
    });
  const key = `case-${randomUUID()}`;
  await bus.publish([
    { topic, key, value: '{"n":0}' },
    { topic, key, value: '{"n":1}' },
  ]);
  const sub = await subscribe();
  await pollUntil(async () => handled.includes('{"n":1}'), { timeoutMs: 30_000, what: 'the message after the poison handled' });
  const parked = (await deadLetters.list({ limit: 1000 })).filter((d) => d.groupId === groupId);
  expect(parked).toHaveLength(1);
  expect(parked[0]).toMatchObject({ topic, key, value: '{"n":0}', attempts: 3, status: 'Parked', error: 'Error: poison' });
  expect(poisonRuns).toBe(3);
  expect(await parkedCount(metrics)).toBe(1);
  await sub.stop();
  // The offsets were committed: a new consumer of the group sees neither message again, only a new one.
  await bus.publish([{ topic, key, value: '{"n":2}' }]);
  const again = await subscribe();
  await pollUntil(async () => handled.includes('{"n":2}'), { timeoutMs: 30_000, what: 'the next message after a restart of the consumer' });
  await again.stop();
  expect(poisonRuns).toBe(3);
  expect(handled.filter((v) => v === '{"n":1}')).toHaveLength(1);
}

describe('both buses go through the guard', () => {
  it('on Kafka: the poison is parked after the bounded attempts and the next message of its partition is handled', async () => {
    const bus = new KafkaBus({ brokers: inject('kafkaBrokers').split(','), clientId: 'dead-letters-test', logger });
    const topic = `dead-letters-test-${Date.now()}`;
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      await poisonThenGood(bus, topic);
    } finally {
      await bus.close();
    }
  });

  it('on the embedded bus: the same', async () => {
    const bus = new EmbeddedBus(db, logger, 2, 50);
    try {
      await poisonThenGood(bus, `dead-letters-test-${Date.now()}`);
    } finally {
      await bus.close();
    }
  });
});
