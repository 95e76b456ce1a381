import type { Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface PartnerRow {
  id: string;
  company_name: string;
  office_email: string;
  pre_legal_share_ppm: string;
  legal_share_ppm: string;
}

export interface IdempotencyRow {
  partner_id: string;
  key: string;
  request_hash: string;
  state: 'running' | 'done';
  status_code: number | null;
  response_body: string | null;
  locked_until: Date;
  /** the request holding a running key (renews and releases only its own lease) */
  owner: string | null;
  created_at: Date;
}

const t = (db: Queryable, table: string) => db.withSchema(SCHEMA).table(table);

/** Inserts a running record; false when the key already exists. */
export async function claimKey(
  db: Queryable,
  row: Omit<IdempotencyRow, 'created_at' | 'status_code' | 'response_body' | 'state'> & { owner: string },
): Promise<boolean> {
  const inserted = await t(db, 'idempotency_keys')
    .insert({ ...row, state: 'running' })
    .onConflict(['partner_id', 'key'])
    .ignore()
    .returning('key');
  return inserted.length > 0;
}

export async function findKey(db: Queryable, partnerId: string, key: string): Promise<IdempotencyRow | undefined> {
  return t(db, 'idempotency_keys').where({ partner_id: partnerId, key }).first<IdempotencyRow | undefined>();
}

/** Takes over a running record whose owner died (its lease ran out). */
export async function takeOverStaleKey(db: Queryable, k: { partnerId: string; key: string; owner: string; lockedUntil: Date; now: Date }): Promise<boolean> {
  const n = await t(db, 'idempotency_keys')
    .where({ partner_id: k.partnerId, key: k.key, state: 'running' })
    .andWhere('locked_until', '<', k.now)
    .update({ locked_until: k.lockedUntil, owner: k.owner });
  return n > 0;
}

/** Extends the lease of a running record this owner still holds. */
export async function renewKey(db: Queryable, k: { partnerId: string; key: string; owner: string; lockedUntil: Date }): Promise<void> {
  await t(db, 'idempotency_keys').where({ partner_id: k.partnerId, key: k.key, state: 'running', owner: k.owner }).update({ locked_until: k.lockedUntil });
}

export async function completeKey(db: Queryable, partnerId: string, key: string, status: number, body: string): Promise<void> {
  await t(db, 'idempotency_keys').where({ partner_id: partnerId, key }).update({ state: 'done', status_code: status, response_body: body });
}

export async function releaseKey(db: Queryable, partnerId: string, key: string, owner: string): Promise<void> {
  await t(db, 'idempotency_keys').where({ partner_id: partnerId, key, state: 'running', owner }).delete();
}

export async function deleteExpiredKeys(db: Queryable, before: Date): Promise<number> {
  return t(db, 'idempotency_keys').where('created_at', '<', before).delete();
}

// One statement, one round trip: hands out up to `ask` tokens of the (key, window, limit) row, never past
// `limit` in total (a grant of 0 once the window is used up). Every value on the right of SET is the row
// as it was; concurrent leases of one row are serialised by its row lock.
const LEASE_TOKENS = `
INSERT INTO ${SCHEMA}.rate_limit_windows AS w (key_hash, window_start, window_limit, granted, last_grant)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key_hash, window_start, window_limit) DO UPDATE
  SET granted = w.granted + LEAST(?, GREATEST(? - w.granted, 0)),
      last_grant = LEAST(?, GREATEST(? - w.granted, 0))
RETURNING granted, last_grant`;

/** Leases tokens of one key's window: `granted` now handed out to this caller, `total` handed out to every replica in the window. */
export async function leaseRateLimitTokens(
  db: Queryable,
  k: { keyHash: string; windowStart: Date; ask: number; limit: number },
): Promise<{ granted: number; total: number }> {
  const first = Math.min(k.ask, k.limit);
  const res = await db.raw<{ rows: { granted: number; last_grant: number }[] }>(LEASE_TOKENS, [
    k.keyHash,
    k.windowStart,
    k.limit,
    first,
    first,
    k.ask,
    k.limit,
    k.ask,
    k.limit,
  ]);
  const row = res.rows[0]!;
  return { granted: Number(row.last_grant), total: Number(row.granted) };
}

/** Drops the rate-limit rows of windows that started before `before`. */
export async function deleteRateLimitWindowsBefore(db: Queryable, before: Date): Promise<number> {
  return t(db, 'rate_limit_windows').where('window_start', '<', before).delete();
}
