// Idempotency-Key (IETF draft semantics, Stripe behaviour): the first request runs and its final
// response is stored; a repeat replays it verbatim; a different body is a conflict; a repeat while
// the first runs is told to retry. Validation failures and 5xx are not stored.
import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '@pp/domain';
import type { Db } from '@pp/platform';
import * as q from '../infra/gateway.queries';

export interface StoredResponse {
  status: number;
  body: string;
  replayed: boolean;
}

/**
 * A running request holds its key by a short lease that it renews while it runs, so the key of a
 * request whose gateway died is free again within about LEASE_MS, while a slow but live request
 * (a ledger call near its deadline) keeps it however long it takes.
 */
export const LEASE_MS = 5_000;
const RENEW_EVERY_MS = 1_500;

/** 409 IdempotencyKeyInUse, with how long until the holder's lease runs out unless it is renewed. */
export class KeyInUse extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('IdempotencyKeyInUse', 'A request with this Idempotency-Key is still being processed; retry shortly', 'Idempotency-Key');
  }
}

/** Text to emit as is, on the work stack of `canonical`. */
class Literal {
  constructor(readonly text: string) {}
}

/**
 * The value as JSON with object keys sorted, so the same request hashes the same whatever its key
 * order or spacing; with `foldCase`, keys are lower-cased first, as bodies are read (property names
 * are case-insensitive, SPEC §10: `PaymentAmount` is `paymentAmount`). Iterative (an explicit stack),
 * so no nesting depth can exhaust the call stack.
 */
export function canonical(value: unknown, options: { foldCase?: boolean } = {}): string {
  const keyOf = options.foldCase ? (k: string) => k.toLowerCase() : (k: string) => k;
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Literal) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      stack.push(new Literal(']'));
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i] as unknown, ...(i > 0 ? [new Literal(',')] : []));
      stack.push(new Literal('['));
    } else if (item !== null && typeof item === 'object') {
      // by the key as hashed, then as sent (two spellings of one key stay apart and in a fixed order)
      const keys = Object.keys(item).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : a < b ? -1 : a > b ? 1 : 0));
      stack.push(new Literal('}'));
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push((item as Record<string, unknown>)[k], new Literal(`${i > 0 ? ',' : ''}${JSON.stringify(keyOf(k))}:`));
      }
      stack.push(new Literal('{'));
    } else {
      out.push(JSON.stringify(item) ?? 'null');
    }
  }
  return out.join('');
}

/** The hash a retry must match: the same method, path and body, whatever the key order, spacing or key case. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`v2 ${method} ${path}\n${canonical(body, { foldCase: true })}`)
    .digest('hex');
}

/** The hash of keys stored before key case was folded (still matched, so a retry across the upgrade replays). */
export function caseSensitiveRequestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonical(body)}`)
    .digest('hex');
}

/** What the request's own work answered; `replayed` when it found its effect already done (a retry after a crash). */
export interface RunResult {
  status: number;
  body: string;
  replayed?: boolean;
}

export async function withIdempotency(
  db: Db,
  request: { partnerId: string; key: string; method: string; path: string; body: unknown },
  run: () => Promise<RunResult>,
  now: () => Date = () => new Date(),
): Promise<StoredResponse> {
  const hash = requestHash(request.method, request.path, request.body);
  const owner = randomUUID();
  const lease = () => new Date(now().getTime() + LEASE_MS);
  if (!(await q.claimKey(db, { partner_id: request.partnerId, key: request.key, request_hash: hash, locked_until: lease(), owner }))) {
    const existing = await q.findKey(db, request.partnerId, request.key);
    if (!existing) return withIdempotency(db, request, run, now); // released in between: claim again
    if (existing.request_hash !== hash && existing.request_hash !== caseSensitiveRequestHash(request.method, request.path, request.body))
      throw new DomainError('IdempotencyConflict', 'This Idempotency-Key was used with a different request', 'Idempotency-Key');
    if (existing.state === 'done') return { status: existing.status_code ?? 200, body: existing.response_body ?? '', replayed: true };
    if (!(await q.takeOverStaleKey(db, { partnerId: request.partnerId, key: request.key, owner, lockedUntil: lease(), now: now() }))) {
      throw new KeyInUse(Math.max(1, Math.ceil((existing.locked_until.getTime() - now().getTime()) / 1000)));
    }
  }
  const renewal = setInterval(() => {
    q.renewKey(db, { partnerId: request.partnerId, key: request.key, owner, lockedUntil: lease() }).catch(() => undefined); // a missed renewal only shortens the lease
  }, RENEW_EVERY_MS);
  let result: RunResult;
  try {
    result = await run();
  } catch (error) {
    await q.releaseKey(db, request.partnerId, request.key, owner);
    throw error;
  } finally {
    clearInterval(renewal);
  }
  if (result.status >= 500 || result.status === 400) await q.releaseKey(db, request.partnerId, request.key, owner);
  else await q.completeKey(db, request.partnerId, request.key, result.status, result.body);
  return { status: result.status, body: result.body, replayed: result.replayed ?? false };
}
