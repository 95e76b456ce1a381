// Every write of a service runs through here: one transaction holding the change and its outbox rows;
// the relay is nudged once the transaction has committed.
import type { Db, Trx } from './db';
import { appendOutbox, type OutboxMessage, type OutboxRelay } from './outbox';
import { traceHeaders } from './tracing';

export interface TxContext {
  readonly trx: Trx;
  /** Queue an event; it is written to the outbox in this same transaction. */
  emit(message: OutboxMessage): void;
  /**
   * Hands the queued events to the caller, who writes them to this schema's `outbox` table itself in
   * this transaction (a hot path folding them into one statement); the relay is still nudged on commit.
   */
  takeEmitted(): OutboxMessage[];
}

export class UnitOfWork {
  constructor(
    private readonly db: Db,
    private readonly schema: string,
    private readonly relay: Pick<OutboxRelay, 'nudge'>,
  ) {}

  async run<T>(work: (tx: TxContext) => Promise<T>): Promise<T> {
    let emitted = 0;
    // The producer's trace context (the span this work runs in: a gRPC call, a consumed message) is
    // stored with the outbox rows, so the consumers' spans continue this trace. Empty when tracing is off.
    const producer = traceHeaders();
    const result = await this.db.transaction(async (trx) => {
      let pending: OutboxMessage[] = [];
      let taken = 0;
      const value = await work({
        trx,
        emit: (m) => pending.push(producer.traceparent ? { ...m, headers: { ...producer, ...m.headers } } : m),
        takeEmitted: () => {
          const out = pending;
          pending = [];
          taken += out.length;
          return out;
        },
      });
      await appendOutbox(trx, this.schema, pending);
      emitted = taken + pending.length;
      return value;
    });
    if (emitted > 0) this.relay.nudge();
    return result;
  }
}
