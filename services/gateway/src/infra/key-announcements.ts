// Revocations heard by every gateway replica at once: the writer announces a revoked key or a changed
// partner with pg_notify in its own transaction (delivered at commit, never before), and each replica
// LISTENs on a connection of its own and forgets what it had remembered (../app/partner-keys.ts).
// A replica that is not listening (not yet connected, connection lost) remembers nothing until it
// listens again, so it can never answer from a stale entry. The embedded default (PGlite) is one
// process: forgetting locally is all there is to do.
import type { Db, Logger, Queryable } from '@pp/platform';
import pg from 'pg';
import type { PartnerKeyCache } from '../app/partner-keys';

const CHANNEL = 'gateway_key_changes';

export type KeyChange = { readonly keyHash: string } | { readonly partnerId: string };

const isPostgresServer = (db: Queryable) => (db.client as { config?: { client?: unknown } }).config?.client === 'pg';

/** Tells every replica, when `trx` commits, to forget a key or a partner's keys. */
export async function announce(trx: Queryable, change: KeyChange): Promise<void> {
  if (isPostgresServer(trx)) await trx.raw('SELECT pg_notify(?, ?)', [CHANNEL, JSON.stringify(change)]);
}

export function applyChange(cache: PartnerKeyCache, change: KeyChange): void {
  if ('keyHash' in change) cache.forget(change.keyHash);
  else cache.forgetPartner(change.partnerId);
}

/** Keeps `cache` told of every announced change while running; stop() ends it. */
export function listenForKeyChanges(db: Db, cache: PartnerKeyCache, logger: Logger): { stop(): Promise<void> } {
  if (!isPostgresServer(db)) return { stop: async () => undefined };
  const connection = (db.client as { config: { connection: pg.ClientConfig } }).config.connection;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let backoffMs = 250;
  cache.setTrusting(false);

  const lost = (error?: unknown) => {
    cache.setTrusting(false);
    const dead = client;
    client = undefined;
    dead?.removeAllListeners();
    void dead?.end().catch(() => undefined);
    if (stopped) return;
    if (error) logger.warn({ err: error, retryInMs: backoffMs }, 'key revocations are not heard; authenticating every request from the database');
    timer = setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 5_000);
  };

  function connect(): void {
    timer = undefined;
    const next = new pg.Client(connection);
    client = next;
    next.on('error', lost);
    next.on('end', () => (client === next ? lost(new Error('connection ended')) : undefined));
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        applyChange(cache, JSON.parse(message.payload) as KeyChange);
      } catch {
        cache.setTrusting(true); // an unreadable announcement: forget everything rather than guess
      }
    });
    next
      .connect()
      .then(() => next.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        if (client !== next) return;
        backoffMs = 250;
        cache.setTrusting(true); // clears what was remembered before: anything may have changed meanwhile
      })
      .catch((error: unknown) => (client === next ? lost(error) : undefined));
  }

  connect();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const last = client;
      client = undefined;
      last?.removeAllListeners();
      last?.on('error', () => undefined);
      await last?.end().catch(() => undefined);
    },
  };
}
