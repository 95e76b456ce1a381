// Idempotency-Key (IETF draft semantics, Stripe behaviour): the first request runs and its final
// response is stored; a repeat replays it verbatim; a different body is a conflict; a repeat while
// the first runs is told to retry. Validation failures and 5xx are not stored.
import { createHash } from 'node:crypto';
import { DomainError } from '@pp/domain';
import type { Db } from '@pp/platform';
import * as q from '../infra/gateway.queries';

export interface StoredResponse {
  status: number;
  body: string;
  replayed: boolean;
}

/** How long a running claim blocks retries; longer than any gRPC deadline, so a dead owner is taken over. */
const LOCK_MS = 30_000;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonical(body)}`).digest('hex');
}

export async function withIdempotency(
  db: Db,
  request: { partnerId: string; key: string; method: string; path: string; body: unknown },
  run: () => Promise<{ status: number; body: string }>,
  now: () => Date = () => new Date(),
): Promise<StoredResponse> {
  const hash = requestHash(request.method, request.path, request.body);
  const lockedUntil = new Date(now().getTime() + LOCK_MS);
  if (!(await q.claimKey(db, { partner_id: request.partnerId, key: request.key, request_hash: hash, locked_until: lockedUntil }))) {
    const existing = await q.findKey(db, request.partnerId, request.key);
    if (!existing) return withIdempotency(db, request, run, now); // released in between: claim again
    if (existing.request_hash !== hash) throw new DomainError('IdempotencyConflict', 'This Idempotency-Key was used with a different request', 'Idempotency-Key');
    if (existing.state === 'done') return { status: existing.status_code ?? 200, body: existing.response_body ?? '', replayed: true };
    if (!(await q.takeOverStaleKey(db, request.partnerId, request.key, lockedUntil, now()))) {
      throw new DomainError('IdempotencyKeyInUse', 'A request with this Idempotency-Key is still being processed; retry shortly', 'Idempotency-Key');
    }
  }
  let result: { status: number; body: string };
  try {
    result = await run();
  } catch (error) {
    await q.releaseKey(db, request.partnerId, request.key);
    throw error;
  }
  if (result.status >= 500 || result.status === 400) await q.releaseKey(db, request.partnerId, request.key);
  else await q.completeKey(db, request.partnerId, request.key, result.status, result.body);
  return { ...result, replayed: false };
}
