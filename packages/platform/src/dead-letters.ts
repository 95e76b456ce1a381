// Dead letters: a message a consumer's handler keeps failing on must not block its partition forever.
// Both buses run every handler through DeadLetters.wrap: a failure is retried in place a bounded number
// of times with a short, growing pause; after the last one the message is parked in the consuming
// service's own `dead_letters` table (durably, before the bus commits the offset), counted and logged,
// and the consumer moves on. Failures of the infrastructure (the database unreachable, a service the
// handler calls unavailable) are not the message's fault: they go back to the bus, which redelivers
// until the dependency is back, so a good message is never parked because PostgreSQL blinked.
// The operator lists parked messages and runs the handler again on one (`retry`) over gRPC → REST.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { DomainError } from '@pp/domain';
import type { Db } from './db';
import type { Logger } from './logger';
import type { DeadLetterGuard, IncomingMessage, MessageHandler } from './messaging';
import type { Metrics } from './metrics';
import { backoffDelay } from './retry';

export interface DeadLetterPolicy {
  /** handler attempts per delivery before the message is parked (1 = park at the first failure) */
  readonly maxAttempts: number;
  /** the pause after the first failed attempt; it doubles after each further one */
  readonly backoffMs: number;
  /** the longest pause between two attempts */
  readonly maxBackoffMs: number;
}

export const DEFAULT_DEAD_LETTER_POLICY: DeadLetterPolicy = { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 5_000 };

export type DeadLetterStatus = 'Parked' | 'Resolved';

export interface DeadLetterRecord {
  readonly id: string;
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
  /** the last failure: `Name: message` */
  readonly error: string;
  /** how often the handler ran on the message (in the bounded attempts, then once per retry) */
  readonly attempts: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  /** when a retry succeeded; null while parked */
  readonly resolvedAt: string | null;
  readonly status: DeadLetterStatus;
}

export async function createDeadLetterTable(db: Knex, schema: string): Promise<void> {
  await db.schema.withSchema(schema).createTable('dead_letters', (t) => {
    t.uuid('id').primary();
    t.text('group_id').notNullable();
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('offset').notNullable();
    t.text('key').notNullable();
    t.text('value').notNullable();
    t.jsonb('headers').notNullable().defaultTo('{}');
    t.text('error').notNullable();
    t.integer('attempts').notNullable();
    t.timestamp('first_failed_at', { useTz: true }).notNullable();
    t.timestamp('last_failed_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true });
    // A message redelivered after it was parked (a crash before the offset commit) stays one row.
    t.unique(['group_id', 'topic', 'partition', 'offset']);
  });
  await db.raw(`CREATE INDEX dead_letters_newest ON ??.dead_letters (first_failed_at DESC)`, [schema]);
}

// Failures that say nothing about the message: connection-level errors (Node, pg, knex), PostgreSQL's
// connection, resource, operator and transaction-rollback classes, and a called service unavailable.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '3D000',
  '40001',
  '40P01',
  '55P03',
]);
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57'];
const TRANSIENT_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Timeout acquiring a connection|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** true when `error` (or its cause) is a failure of the infrastructure rather than of the message. */
export function isTransientError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof DomainError) return current.type === 'ServiceUnavailable';
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || (code.length === 5 && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))))) return true;
    if (current.name === 'KnexTimeoutError' || TRANSIENT_MESSAGES.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** `Name: message`, bounded, for the table and the API (the stack goes to the log only). */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

// PostgreSQL text and jsonb cannot hold NUL: a message carrying one must still be parkable.
const storable = (s: string): string => s.replace(/\u0000/g, '\uFFFD');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  group_id: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string> | string;
  error: string;
  attempts: number;
  first_failed_at: Date | string;
  last_failed_at: Date | string;
  resolved_at: Date | string | null;
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

function toRecord(r: Row): DeadLetterRecord {
  return {
    id: r.id,
    groupId: r.group_id,
    topic: r.topic,
    partition: Number(r.partition),
    offset: String(r.offset),
    key: r.key,
    value: r.value,
    headers: typeof r.headers === 'string' ? (JSON.parse(r.headers) as Record<string, string>) : r.headers,
    error: r.error,
    attempts: Number(r.attempts),
    firstFailedAt: iso(r.first_failed_at),
    lastFailedAt: iso(r.last_failed_at),
    resolvedAt: r.resolved_at === null ? null : iso(r.resolved_at),
    status: r.resolved_at === null ? 'Parked' : 'Resolved',
  };
}

export interface DeadLettersOptions {
  readonly db: Db;
  /** the consuming service's schema: the table is `<schema>.dead_letters` */
  readonly schema: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly policy?: Partial<DeadLetterPolicy>;
  readonly clock?: () => Date;
  /** test seam for the pauses between attempts */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class DeadLetters implements DeadLetterGuard {
  readonly policy: DeadLetterPolicy;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly clock: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DeadLettersOptions) {
    const p = { ...DEFAULT_DEAD_LETTER_POLICY, ...options.policy };
    this.policy = { maxAttempts: Math.max(1, p.maxAttempts), backoffMs: Math.max(0, p.backoffMs), maxBackoffMs: Math.max(0, p.maxBackoffMs) };
    this.clock = options.clock ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** What the buses run for each message of `groupId`; `handle` is also what a retry runs later. */
  wrap(groupId: string, handle: MessageHandler): MessageHandler {
    this.handlers.set(groupId, handle);
    return (message) => this.deliver(groupId, message, handle);
  }

  private async deliver(groupId: string, message: IncomingMessage, handle: MessageHandler): Promise<void> {
    const { maxAttempts, backoffMs, maxBackoffMs } = this.policy;
    let firstFailedAt: Date | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(message);
        return;
      } catch (error) {
        // Not the message's fault: back to the bus, which redelivers it (and the count starts again).
        if (isTransientError(error)) throw error;
        firstFailedAt ??= this.clock();
        const where = { groupId, topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, attempt, maxAttempts };
        if (attempt >= maxAttempts) {
          // Durable before the handler returns, so before the bus commits the offset; if it fails, the
          // bus redelivers the message and nothing is lost.
          const id = await this.park(groupId, message, error, attempt, firstFailedAt);
          this.options.metrics?.deadLettered.inc({ group: groupId, topic: message.topic });
          this.options.logger.error(
            { ...where, deadLetterId: id, schema: this.options.schema, err: error },
            `message parked in ${this.options.schema}.dead_letters after ${attempt} failed attempts; moving on`,
          );
          return;
        }
        const pause = backoffMs === 0 ? 0 : backoffDelay(attempt, { initialDelayMs: backoffMs, maxDelayMs: maxBackoffMs });
        this.options.logger.warn({ ...where, retryInMs: pause, err: error }, 'message handler failed; retrying');
        if (pause > 0) await this.sleep(pause);
      }
    }
  }

  private async park(groupId: string, m: IncomingMessage, error: unknown, attempts: number, firstFailedAt: Date): Promise<string> {
    const now = this.clock();
    const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [storable(k), storable(v)]));
    const result = await this.options.db.raw<{ rows: { id: string }[] }>(
      `INSERT INTO ??.dead_letters (id, group_id, topic, partition, "offset", key, value, headers, error, attempts, first_failed_at, last_failed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)
       ON CONFLICT (group_id, topic, partition, "offset") DO UPDATE
         SET error = EXCLUDED.error, attempts = dead_letters.attempts + EXCLUDED.attempts, last_failed_at = EXCLUDED.last_failed_at, resolved_at = NULL
       RETURNING id`,
      [
        this.options.schema,
        randomUUID(),
        groupId,
        m.topic,
        m.partition,
        m.offset,
        storable(m.key),
        storable(m.value),
        JSON.stringify(headers),
        storable(describeError(error)),
        attempts,
        firstFailedAt,
        now,
      ],
    );
    return result.rows[0]!.id;
  }

  private table() {
    return this.options.db.withSchema(this.options.schema).table('dead_letters');
  }

  /** Newest first (by first failure), at most `limit`. */
  async list(options: { status?: DeadLetterStatus; limit: number }): Promise<DeadLetterRecord[]> {
    const query = this.table()
      .orderBy([{ column: 'first_failed_at', order: 'desc' }, { column: 'id' }])
      .limit(Math.max(1, Math.min(options.limit, 1000)));
    if (options.status === 'Parked') void query.whereNull('resolved_at');
    if (options.status === 'Resolved') void query.whereNotNull('resolved_at');
    return (await query.select<Row[]>()).map(toRecord);
  }

  async get(id: string): Promise<DeadLetterRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.table().where({ id: id.toLowerCase() }).first<Row | undefined>();
    return row ? toRecord(row) : undefined;
  }

  /**
   * Runs the consumer's handler once more on a parked message: on success the row is marked resolved;
   * on failure it stays parked with the new error. A resolved row is answered as it is. Undefined for an
   * unknown id. A failure of the infrastructure records nothing and answers ServiceUnavailable.
   */
  async retry(id: string): Promise<DeadLetterRecord | undefined> {
    const parked = await this.get(id);
    if (!parked || parked.status === 'Resolved') return parked;
    const handle = this.handlers.get(parked.groupId);
    const message: IncomingMessage = {
      topic: parked.topic,
      partition: parked.partition,
      offset: parked.offset,
      key: parked.key,
      value: parked.value,
      headers: parked.headers,
    };
    const where = { deadLetterId: parked.id, groupId: parked.groupId, topic: parked.topic, partition: parked.partition, offset: parked.offset };
    let failure: unknown;
    try {
      if (!handle) throw new Error(`no consumer of group ${parked.groupId} runs in this process`);
      await handle(message);
    } catch (error) {
      if (isTransientError(error)) throw new DomainError('ServiceUnavailable', `Retrying the dead letter failed on a dependency; try again later`);
      failure = error;
    }
    const now = this.clock();
    const attempts = this.options.db.raw('attempts + 1');
    if (failure === undefined) {
      await this.table().where({ id: parked.id }).update({ resolved_at: now, attempts });
      this.options.logger.info(where, 'dead letter retried: handled, marked resolved');
    } else {
      await this.table()
        .where({ id: parked.id })
        .update({ error: storable(describeError(failure)), last_failed_at: now, attempts });
      this.options.logger.warn({ ...where, err: failure }, 'dead letter retried: failed again, stays parked');
    }
    return this.get(parked.id);
  }
}

/** The gRPC side (ListDeadLetters, RetryDeadLetter of the service protos), shared by every consuming service. */
export function deadLetterRpcHandlers(deadLetters: DeadLetters) {
  const wire = (d: DeadLetterRecord) => ({ ...d, resolvedAt: d.resolvedAt ?? '' });
  return {
    ListDeadLetters: async (req: { status: string; limit: number }) => {
      const status = req.status === 'Parked' || req.status === 'Resolved' ? req.status : undefined;
      return { deadLetters: (await deadLetters.list({ status, limit: req.limit > 0 ? req.limit : 100 })).map(wire) };
    },
    RetryDeadLetter: async (req: { id: string }) => {
      const retried = await deadLetters.retry(req.id);
      if (!retried) throw new DomainError('NotFound', `No dead letter ${req.id}`);
      return wire(retried);
    },
  };
}
