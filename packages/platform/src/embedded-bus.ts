// MessageBus for the single-process embedded default: a partitioned, durable log in the embedded
// database. Same contract as Kafka: ordering per key, at-least-once, one offset per consumer group.
// Never used by a test of distributed behaviour.
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import type { Db, Trx } from './db';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { IncomingMessage, MessageBus, MessageHandler, OutgoingMessage, SubscribeOptions, Subscription } from './messaging';
import { traceConsumer } from './tracing';

const SCHEMA = 'bus';
const BATCH = 100;

export class EmbeddedBus implements MessageBus {
  readonly kind = 'embedded' as const;
  private readonly wake = new EventEmitter();
  private ready: Promise<void> | undefined;
  private readonly loops = new Set<{ stopped: boolean }>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly partitions = 4,
    private readonly pollMs = 1_000,
    private readonly metrics?: Metrics,
  ) {
    this.wake.setMaxListeners(100);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.db.raw(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      await this.db.raw(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.messages (
        "offset" bigserial PRIMARY KEY, topic text NOT NULL, partition int NOT NULL, key text NOT NULL,
        value text NOT NULL, headers jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now())`);
      await this.db.raw(`CREATE INDEX IF NOT EXISTS messages_topic_offset ON ${SCHEMA}.messages (topic, "offset")`);
      await this.db.raw(`CREATE TABLE IF NOT EXISTS ${SCHEMA}.group_offsets (
        group_id text NOT NULL, topic text NOT NULL, committed bigint NOT NULL, PRIMARY KEY (group_id, topic))`);
    })();
    return this.ready;
  }

  private partitionOf(key: string): number {
    return createHash('md5').update(key).digest().readUInt32BE(0) % this.partitions;
  }

  async publish(messages: readonly OutgoingMessage[], trx?: Trx): Promise<void> {
    if (messages.length === 0) return;
    await this.init();
    const rows = messages.map((m) => ({
      topic: m.topic,
      partition: this.partitionOf(m.key),
      key: m.key,
      value: m.value,
      headers: JSON.stringify(m.headers ?? {}),
    }));
    await (trx ?? this.db).withSchema(SCHEMA).table('messages').insert(rows);
    // Consumers of these topics (only they) learn about the new messages once the publishing
    // transaction has committed.
    const wake = () => {
      for (const topic of new Set(messages.map((m) => m.topic))) this.wake.emit(`message:${topic}`);
    };
    if (trx) void trx.executionPromise.then(wake, () => undefined);
    else wake();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.init();
    // The same dead-letter guard as on Kafka: a message the handler keeps failing on is parked, then skipped.
    const handle = options.deadLetters?.wrap(options.groupId, options.handle) ?? options.handle;
    const state = { stopped: false };
    this.loops.add(state);
    // This loop is the only writer of its group's offsets in this process: after the first read they
    // are kept here, not read back before every round.
    const offsets = new Map<string, string>();
    let pending = true;
    let notify: (() => void) | undefined;
    const onMessage = () => {
      pending = true;
      notify?.();
    };
    for (const topic of options.topics) this.wake.on(`message:${topic}`, onMessage);
    const loop = async () => {
      while (!state.stopped) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            notify = resolve;
            setTimeout(resolve, this.pollMs).unref();
          });
          notify = undefined;
        }
        pending = false;
        try {
          await this.drain(options, handle, state, offsets);
        } catch (error) {
          // At-least-once: the failed message is retried on the next round, nothing is skipped.
          this.logger.error({ err: error, groupId: options.groupId }, 'embedded bus handler failed; retrying');
          pending = false;
        }
      }
    };
    const done = loop();
    return {
      stop: async () => {
        state.stopped = true;
        notify?.();
        for (const topic of options.topics) this.wake.off(`message:${topic}`, onMessage);
        this.loops.delete(state);
        await done;
      },
    };
  }

  private async drain(options: SubscribeOptions, handle: MessageHandler, state: { stopped: boolean }, offsets: Map<string, string>): Promise<void> {
    for (const topic of options.topics) {
      for (;;) {
        if (state.stopped) return;
        let committed = offsets.get(topic);
        if (committed === undefined) {
          const row = await this.db
            .withSchema(SCHEMA)
            .table('group_offsets')
            .where({ group_id: options.groupId, topic })
            .first<{ committed: string } | undefined>();
          committed = row?.committed ?? '0';
          offsets.set(topic, committed);
        }
        const batch = await this.db
          .withSchema(SCHEMA)
          .table('messages')
          .where('topic', topic)
          .andWhere('offset', '>', committed)
          .orderBy('offset')
          .limit(BATCH)
          .select<{ offset: string; topic: string; partition: number; key: string; value: string; headers: Record<string, string> | string }[]>();
        if (batch.length === 0) break;
        // The group's offset is committed once per batch (and for the part done when a handler throws):
        // at-least-once as before, since handlers are idempotent through their inbox, with one commit
        // per batch instead of one per message (on PGlite every commit is a synchronous file write).
        let done: string | undefined;
        try {
          for (const m of batch) {
            if (state.stopped) return;
            const headers = typeof m.headers === 'string' ? (JSON.parse(m.headers) as Record<string, string>) : m.headers;
            const incoming: IncomingMessage = { topic: m.topic, key: m.key, value: m.value, headers, partition: m.partition, offset: m.offset };
            await traceConsumer('embedded', options.groupId, incoming, (m) => handle(m));
            this.metrics?.consumed.inc({ group: options.groupId, topic: m.topic });
            done = m.offset;
          }
        } finally {
          if (done !== undefined) {
            await this.commitOffset(options.groupId, topic, done);
            offsets.set(topic, done);
          }
        }
        if (batch.length < BATCH) break; // the log is drained: no need to ask again
      }
    }
  }

  private async commitOffset(groupId: string, topic: string, offset: string): Promise<void> {
    await this.db.withSchema(SCHEMA).table('group_offsets').insert({ group_id: groupId, topic, committed: offset }).onConflict(['group_id', 'topic']).merge();
  }

  async ensureTopics(): Promise<void> {
    await this.init();
  }

  async healthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    for (const loop of this.loops) loop.stopped = true;
    for (const name of this.wake.eventNames()) this.wake.emit(name);
  }
}
