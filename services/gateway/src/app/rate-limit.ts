// Rate limits (SPEC §1, RATE_LIMIT_PER_MINUTE), in fixed one-minute windows aligned to the clock.
//
// - An authenticated key (a partner's, or the operator's) gets `limit` requests a window across every
//   gateway replica. The count lives in PostgreSQL, one row per (key hash, window) that hands out tokens
//   in blocks; each process spends its block locally, so a request costs no database round trip, a
//   block costs one, and the replicas together never allow more than `limit` in a window (a process
//   may end a window with tokens it leased but did not spend: those are lost, never given twice).
//   The row belongs to the limit too: a process configured with another RATE_LIMIT_PER_MINUTE (a
//   rollout that changes it, a test stack) keeps its own count rather than finding blocks leased
//   against a larger limit in its way.
// - Requests with a missing or unknown key are counted per client address, in this process only and
//   in bounded memory (least recently used addresses are forgotten first, nothing is ever cleared at
//   once). An address that used up its budget gets 429 before its key is even looked up, so a
//   key-guessing flood never reaches the database; a key this process authenticated lately still goes
//   through (and one it has not seen waits for the window to end, at most a minute).

export const WINDOW_MS = 60_000;

/** The start (epoch ms) of the window `now` falls in. */
export function windowStart(now: number): number {
  return Math.floor(now / WINDOW_MS) * WINDOW_MS;
}

/** Whole seconds until the window of `now` ends, at least 1 (RateLimit-Reset, Retry-After). */
export function secondsToReset(now: number): number {
  return Math.max(1, Math.ceil((windowStart(now) + WINDOW_MS - now) / 1000));
}

/** The tokens a process leases at once while the window is fresh: a twentieth of the limit, at least 1. */
export function blockSize(limit: number): number {
  return Math.max(1, Math.floor(limit / 20));
}

/**
 * How many tokens to ask for when `remaining` of the window's tokens are (as far as this process knows)
 * not yet handed out: a block while plenty are left, a tenth of what is left as the window fills, so
 * that no replica sits on tokens another one needs; at least 1. The database caps the grant at what
 * is really left.
 */
export function leaseSize(limit: number, remaining: number): number {
  return Math.max(1, Math.min(blockSize(limit), Math.ceil(remaining / 10)));
}

/** The answer for one request, and what its RateLimit-* headers say. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** requests left in the window (as far as this process knows: other replicas may have used some) */
  readonly remaining: number;
  /** seconds until the window resets */
  readonly reset: number;
}

/** The shared store of the per-key counts (PostgreSQL: `gateway.rate_limit_windows`). */
export interface TokenStore {
  /** Hands out up to `ask` of the window's tokens: `granted` to this caller (0 when used up), `total` to every caller so far. */
  lease(keyHash: string, windowStart: number, ask: number, limit: number): Promise<{ granted: number; total: number }>;
  /** Forgets the windows that started before `before`. */
  prune(before: number): Promise<void>;
}

interface KeyWindow {
  readonly window: number;
  /** leased by this process, not yet spent */
  tokens: number;
  /** handed out to every replica, as of this process's last lease */
  total: number;
  /** the window's tokens are all handed out: deny until it ends, without asking the database again */
  exhausted: boolean;
  /** the lease in flight, shared by every request of this key that waits for tokens */
  lease?: Promise<boolean>;
}

/** Keys unused this long are forgotten (they only serve `knows`). */
const FORGET_AFTER_MS = 3600_000;

/** Per-key limits shared across replicas through a TokenStore; tokens are leased in blocks and spent locally. */
export class KeyRateLimiter {
  private readonly keys = new Map<string, KeyWindow>();
  private currentWindow = -1;

  constructor(
    private readonly limit: number,
    private readonly store: TokenStore,
    private readonly options: {
      readonly now?: () => number;
      /** the store failed: the request is allowed (fail open); called once per failed lease */
      readonly onStoreError?: (error: unknown) => void;
    } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Whether this process authenticated this key lately (in the last hour). */
  knows(keyHash: string): boolean {
    return this.keys.has(keyHash);
  }

  /** Takes one request of an authenticated key's budget. */
  async take(keyHash: string): Promise<RateDecision> {
    for (;;) {
      const now = this.now();
      const state = this.windowOf(keyHash, windowStart(now));
      const reset = secondsToReset(now);
      if (state.tokens > 0) {
        state.tokens -= 1;
        return { allowed: true, limit: this.limit, remaining: Math.max(0, this.limit - state.total + state.tokens), reset };
      }
      if (state.exhausted) return { allowed: false, limit: this.limit, remaining: 0, reset };
      state.lease ??= this.leaseFor(keyHash, state).finally(() => (state.lease = undefined));
      const failedOpen = await state.lease;
      // The store is unreachable: allow rather than turn a database blip into 429s for every partner
      // (the request fails on its own database use anyway if the database is really gone).
      if (failedOpen) return { allowed: true, limit: this.limit, remaining: Math.max(0, this.limit - state.total), reset: secondsToReset(this.now()) };
      // tokens arrived (or the window is used up, or it ended meanwhile): look again
    }
  }

  /** Number of keys held in memory (tests). */
  get size(): number {
    return this.keys.size;
  }

  private windowOf(keyHash: string, window: number): KeyWindow {
    if (window !== this.currentWindow) this.startWindow(window);
    let state = this.keys.get(keyHash);
    if (!state || state.window !== window) {
      state = { window, tokens: 0, total: 0, exhausted: false };
      this.keys.set(keyHash, state);
    }
    return state;
  }

  /** First request of a new window in this process: forget idle keys, and drop old rows from the store. */
  private startWindow(window: number): void {
    this.currentWindow = window;
    for (const [key, state] of this.keys) if (state.window < window - FORGET_AFTER_MS) this.keys.delete(key);
    // The previous window's rows stay, so a replica whose clock is a little behind cannot restart it from zero.
    this.store.prune(window - WINDOW_MS).catch(() => undefined);
  }

  /** Leases tokens for a key's window; true when the store failed (fail open). */
  private async leaseFor(keyHash: string, state: KeyWindow): Promise<boolean> {
    try {
      const { granted, total } = await this.store.lease(keyHash, state.window, leaseSize(this.limit, this.limit - state.total), this.limit);
      state.total = total;
      state.tokens += granted;
      if (granted === 0) state.exhausted = true;
      return false;
    } catch (error) {
      this.options.onStoreError?.(error);
      return true;
    }
  }
}

/**
 * Failed authentications per client address, in fixed windows, for at most `maxAddresses` addresses:
 * a new address beyond that pushes out the least recently seen one (its count starts again), never
 * all of them.
 */
export class AddressRateLimiter {
  // A Map iterates in insertion order: an address is re-inserted when seen, so the first is the least recent.
  private readonly addresses = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt of an address: 0 when it may go on, else the seconds until its window resets. */
  attempt(address: string): number {
    const now = this.now();
    const window = windowStart(now);
    const key = addressKey(address);
    const entry = this.addresses.get(key);
    const current = entry && entry.window === window ? entry : { window, count: 0 };
    this.addresses.delete(key);
    this.addresses.set(key, current);
    if (this.addresses.size > this.maxAddresses) this.addresses.delete(this.addresses.keys().next().value!);
    if (current.count >= this.limit) return secondsToReset(now);
    current.count += 1;
    return 0;
  }

  /** Gives back an attempt that turned out to carry a valid key. */
  refund(address: string): void {
    const entry = this.addresses.get(addressKey(address));
    if (entry && entry.window === windowStart(this.now()) && entry.count > 0) entry.count -= 1;
  }

  get size(): number {
    return this.addresses.size;
  }
}

/**
 * What an address is counted as: an IPv4 address as such (an IPv4-mapped IPv6 one too), an IPv6 address
 * by its /64, the smallest block one subscriber usually holds (else one client could count as 2^64).
 */
export function addressKey(ip: string): string {
  const address = ip.split('%')[0]!.toLowerCase(); // without a zone id (fe80::1%eth0)
  if (!address.includes(':')) return address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  const groupsOf = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head, tail] = address.split('::');
  const h = groupsOf(head);
  const t = groupsOf(tail);
  const groups = (tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]).map((g) => parseInt(g || '0', 16));
  if (dotted !== undefined && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return dotted;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
