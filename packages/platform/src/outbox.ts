// Transactional outbox: event rows are written in the same transaction as the change they describe;
// the relay publishes them in order and marks them in one transaction, so a crash between publish
// and mark re-sends (consumers dedupe through their inbox) and nothing uncommitted is ever sent.
import type { Knex } from 'knex';
import type { Db, Trx } from './db';
import type { Logger } from './logger';
import type { MessageBus } from './messaging';
import { PollingLoop } from './polling';

export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers?: Record<string, string>;
}

export async function createOutboxTable(db: Knex, schema: string): Promise<void> {
  await db.schema.withSchema(schema).createTable('outbox', (t) => {
    t.bigIncrements('seq').primary();
    t.uuid('id').notNullable().unique();
    t.text('topic').notNullable();
    t.text('key').notNullable();
    t.text('value').notNullable();
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp('published_at', { useTz: true });
  });
  await db.raw(`CREATE INDEX outbox_unpublished ON ??.outbox (seq) WHERE published_at IS NULL`, [schema]);
}

export async function appendOutbox(trx: Trx, schema: string, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await trx
    .withSchema(schema)
    .table('outbox')
    .insert(messages.map((m) => ({ id: m.id, topic: m.topic, key: m.key, value: m.value, headers: JSON.stringify(m.headers ?? {}) })));
}

export interface RelayOptions {
  readonly db: Db;
  readonly schema: string;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly batchSize?: number;
  readonly pollMs?: number;
  /** Test seam: runs after the bus accepted a batch and before the rows are marked published. */
  readonly afterPublish?: () => Promise<void>;
}

export class OutboxRelay {
  private readonly loop: PollingLoop;

  constructor(private readonly options: RelayOptions) {
    this.loop = new PollingLoop(`outbox relay ${options.schema}`, () => this.drainOnce(), options.pollMs ?? 500, options.logger);
  }

  start(): void {
    this.loop.start();
  }

  /** Ask for a publish round soon (after a commit that wrote outbox rows). */
  nudge(): void {
    this.loop.nudge();
  }

  /** Publishes one batch; returns how many rows it published (0 when idle or another relay holds the lock). */
  async drainOnce(): Promise<number> {
    const { db, schema, bus } = this.options;
    return db.transaction(async (trx) => {
      // One relay per schema at a time keeps the publish order equal to the commit order.
      const lock = await trx.raw<{ rows: { locked: boolean }[] }>(`SELECT pg_try_advisory_xact_lock(hashtext(?)) AS locked`, [`outbox:${schema}`]);
      if (!lock.rows[0]?.locked) return 0;
      const rows = await trx
        .withSchema(schema)
        .table('outbox')
        .whereNull('published_at')
        .orderBy('seq')
        .limit(this.options.batchSize ?? 200)
        .select<{ seq: string; id: string; topic: string; key: string; value: string; headers: Record<string, string> | string }[]>();
      if (rows.length === 0) return 0;
      await bus.publish(
        rows.map((r) => ({
          topic: r.topic,
          key: r.key,
          value: r.value,
          headers: { ...(typeof r.headers === 'string' ? (JSON.parse(r.headers) as Record<string, string>) : r.headers), 'event-id': r.id },
        })),
        trx,
      );
      await this.options.afterPublish?.();
      await trx
        .withSchema(schema)
        .table('outbox')
        .whereIn(
          'seq',
          rows.map((r) => r.seq),
        )
        .update({ published_at: trx.fn.now() });
      return rows.length;
    });
  }

  /** Rows still waiting to be published (a metric and a test helper). */
  async backlog(): Promise<number> {
    const row = await this.options.db.withSchema(this.options.schema).table('outbox').whereNull('published_at').count<{ count: string }[]>({ count: '*' });
    return Number(row[0]?.count ?? 0);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }
}
