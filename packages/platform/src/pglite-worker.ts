// PGlite (the embedded default's PostgreSQL) on a worker thread. PGlite runs every query
// synchronously on the thread that owns it; on the main thread that froze HTTP, gRPC and the bus for
// the length of each query, so under load new connections were accepted two at a time and requests
// waited seconds (issue 12). Here the worker owns the database and the main thread sends it one query
// at a time as a message: the event loop stays free while PostgreSQL works, and the two run on two cores.
// The object offers what knex-pglite uses of a PGlite instance: `waitReady`, `query` and `close`.
import { Worker } from 'node:worker_threads';

/** The worker: opens the data directory, answers each query in order, reports errors with their fields. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const db = new PGlite(workerData.dataDir, { parsers: { 20: (v) => v, 1082: (v) => v } });
const plain = (e) => {
  const out = { message: e && e.message ? e.message : String(e), name: e && e.name ? e.name : 'Error' };
  if (e && typeof e === 'object') for (const [k, v] of Object.entries(e)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
};
db.waitReady.then(() => parentPort.postMessage({ ready: true }), (e) => parentPort.postMessage({ ready: false, error: plain(e) }));
parentPort.on('message', async (m) => {
  if (m.close) {
    try { await db.close(); } finally { parentPort.postMessage({ closed: true }); }
    return;
  }
  try {
    const r = await db.query(m.sql, m.params, m.options);
    parentPort.postMessage({ id: m.id, result: { rows: r.rows, fields: r.fields, affectedRows: r.affectedRows } });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: plain(e) });
  }
});
`;

interface QueryResult {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

type Reply = { id: number; result?: QueryResult; error?: Record<string, unknown> } | { ready: boolean; error?: Record<string, unknown> } | { closed: true };

/** An Error carrying the database's fields (`code`, `constraint`, `detail`…), as callers test them. */
function errorFrom(fields: Record<string, unknown>): Error {
  const error = new Error(String(fields.message));
  Object.assign(error, fields);
  return error;
}

/** Query options are plain data on the wire: knex passes `{ name }` for named statements, which PGlite ignores. */
function plainOptions(options: unknown): Record<string, unknown> | undefined {
  if (!options || typeof options !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (typeof v !== 'function') out[k] = v;
  return out;
}

export class PGliteWorker {
  readonly waitReady: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: QueryResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(dataDir: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { dataDir, pglite: require.resolve('@electric-sql/pglite') } });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: Reply) => {
        if ('ready' in m) return m.ready ? resolve() : reject(errorFrom(m.error ?? { message: 'PGlite did not start' }));
        if ('closed' in m) return this.onClosed?.();
        const waiter = this.pending.get(m.id);
        if (!waiter) return;
        this.pending.delete(m.id);
        if (m.error) waiter.reject(errorFrom(m.error));
        else waiter.resolve(m.result!);
      });
      // A worker that dies takes the database with it: every query waiting, and every later one, fails.
      const fail = (error: Error) => {
        this.failure = error;
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      };
      this.worker.on('error', fail);
      this.worker.on('exit', (code) => fail(new Error(`the PGlite worker exited (code ${code})`)));
    });
    // Start-up failures surface from the first query; never as an unhandled rejection.
    this.waitReady.catch(() => undefined);
  }

  query(sql: string, params?: unknown[], options?: unknown): Promise<QueryResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<QueryResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, sql, params, options: plainOptions(options) });
    });
  }

  /** Closes the database cleanly (a checkpoint to the data directory), then the thread. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      if (this.failure) return resolve();
      this.onClosed = resolve;
      this.worker.postMessage({ close: true });
    }).then(() => this.worker.terminate().then(() => undefined));
    return this.closed;
  }
}
