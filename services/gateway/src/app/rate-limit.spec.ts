import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressRateLimiter, addressKey, blockSize, KeyRateLimiter, leaseSize, secondsToReset, WINDOW_MS, windowStart, type TokenStore } from './rate-limit';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0); // a window start

/** A hand-turned clock. */
function clock(start = T0) {
  let now = start;
  return { now: () => now, set: (t: number) => (now = t), advance: (ms: number) => (now += ms) };
}

/** The SQL of leaseRateLimitTokens in memory: grants min(ask, limit − handed out), one row per (key, window). */
function memoryStore() {
  const rows = new Map<string, number>();
  const calls: { keyHash: string; window: number; ask: number }[] = [];
  const pruned: number[] = [];
  const store: TokenStore = {
    lease(keyHash, window, ask, limit) {
      calls.push({ keyHash, window, ask });
      const id = `${keyHash}@${window}@${limit}`;
      const before = rows.get(id) ?? 0;
      const granted = Math.min(ask, Math.max(limit - before, 0));
      rows.set(id, before + granted);
      return Promise.resolve({ granted, total: before + granted });
    },
    prune(before) {
      pruned.push(before);
      for (const id of rows.keys()) if (Number(id.split('@')[1]) < before) rows.delete(id);
      return Promise.resolve();
    },
  };
  return { store, rows, calls, pruned };
}

describe('window arithmetic', () => {
  it('aligns windows to the minute and counts whole seconds to the reset, at least 1', () => {
    expect(windowStart(T0)).toBe(T0);
    expect(windowStart(T0 + 59_999)).toBe(T0);
    expect(windowStart(T0 + 60_000)).toBe(T0 + WINDOW_MS);
    expect(secondsToReset(T0)).toBe(60);
    expect(secondsToReset(T0 + 1)).toBe(60);
    expect(secondsToReset(T0 + 59_001)).toBe(1);
    expect(secondsToReset(T0 + 59_999)).toBe(1);
    expect(secondsToReset(T0 + 30_500)).toBe(30);
  });
});

describe('block sizing', () => {
  it('leases a twentieth of the limit while the window is fresh, less as it fills, never 0', () => {
    expect(blockSize(2000)).toBe(100);
    expect(blockSize(20)).toBe(1);
    expect(blockSize(39)).toBe(1);
    expect(blockSize(1)).toBe(1);
    expect(leaseSize(2000, 2000)).toBe(100);
    expect(leaseSize(2000, 1000)).toBe(100);
    expect(leaseSize(2000, 500)).toBe(50);
    expect(leaseSize(2000, 15)).toBe(2);
    expect(leaseSize(2000, 1)).toBe(1);
    expect(leaseSize(2000, 0)).toBe(1);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: -10, max: 1_000_000 }), (limit, remaining) => {
        const n = leaseSize(limit, remaining);
        return n >= 1 && n <= blockSize(limit) && (remaining <= 0 || n <= remaining);
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});

describe('per-key limit shared by replicas', () => {
  it('allows exactly the limit in a window, with headers that count down, then denies until the reset', async () => {
    const c = clock(T0 + 15_000);
    const { store, calls } = memoryStore();
    const limiter = new KeyRateLimiter(100, store, { now: c.now });
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const d = await limiter.take('k');
      expect(d).toMatchObject({ allowed: true, limit: 100, reset: 45 });
      remaining.push(d.remaining);
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    const denied = await limiter.take('k');
    expect(denied).toEqual({ allowed: false, limit: 100, remaining: 0, reset: 45 });
    // blocks of 5 while fresh, smaller at the end; once used up, no more round trips this window
    expect(calls[0]!.ask).toBe(5);
    const leases = calls.length;
    for (let i = 0; i < 10; i++) expect((await limiter.take('k')).allowed).toBe(false);
    expect(calls.length).toBe(leases);
    expect(leases).toBeLessThan(40);
    // the next window starts afresh
    c.set(T0 + WINDOW_MS);
    expect(await limiter.take('k')).toMatchObject({ allowed: true, remaining: 99, reset: 60 });
    // other keys have their own budget
    expect((await limiter.take('other')).allowed).toBe(true);
  });

  it('never allows more than the limit across replicas, and exactly the limit when every replica is asked enough', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 400 }),
        async (limit, replicas, picks) => {
          const c = clock();
          const { store } = memoryStore();
          const gateways = Array.from({ length: replicas }, () => new KeyRateLimiter(limit, store, { now: c.now }));
          let allowed = 0;
          for (const p of picks) if ((await gateways[p % replicas]!.take('k')).allowed) allowed += 1;
          expect(allowed).toBeLessThanOrEqual(limit);
          // drain: every replica asked until it denies
          for (const g of gateways) while ((await g.take('k')).allowed) allowed += 1;
          expect(allowed).toBe(limit);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('concurrent requests of one key share one lease (no thundering herd)', async () => {
    const c = clock();
    const inner = memoryStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let leases = 0;
    const store: TokenStore = {
      lease: async (...args) => {
        leases += 1;
        await gate;
        return inner.store.lease(...args);
      },
      prune: () => Promise.resolve(),
    };
    const limiter = new KeyRateLimiter(2000, store, { now: c.now });
    const pending = Array.from({ length: 50 }, () => limiter.take('k'));
    await Promise.resolve();
    expect(leases).toBe(1);
    release();
    const decisions = await Promise.all(pending);
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(leases).toBe(1); // one block of 100 serves all 50
    // 150 more at once: the block runs out, the waiters share the next lease
    const more = await Promise.all(Array.from({ length: 150 }, () => limiter.take('k')));
    expect(more.every((d) => d.allowed)).toBe(true);
    expect(leases).toBe(2);
  });

  it('fails open when the store is unreachable, reporting each failed lease, and recovers', async () => {
    const c = clock();
    const inner = memoryStore();
    let down = true;
    const errors: unknown[] = [];
    const store: TokenStore = {
      lease: (...args) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : inner.store.lease(...args)),
      prune: () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()),
    };
    const limiter = new KeyRateLimiter(3, store, { now: c.now, onStoreError: (e) => errors.push(e) });
    const during = await Promise.all(Array.from({ length: 5 }, () => limiter.take('k')));
    expect(during.every((d) => d.allowed)).toBe(true);
    expect(errors).toHaveLength(1); // the five shared one lease
    expect((await limiter.take('k')).allowed).toBe(true);
    expect(errors).toHaveLength(2);
    down = false;
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await limiter.take('k')).allowed);
    expect(after).toEqual([true, true, true, false]);
  });

  it('prunes windows older than the previous one when a window starts, and forgets keys idle for an hour', async () => {
    const c = clock();
    const { store, rows, pruned } = memoryStore();
    const limiter = new KeyRateLimiter(10, store, { now: c.now });
    await limiter.take('a');
    expect(pruned).toEqual([T0 - WINDOW_MS]);
    c.advance(WINDOW_MS);
    await limiter.take('b');
    c.advance(WINDOW_MS);
    await limiter.take('b');
    expect(pruned).toEqual([T0 - WINDOW_MS, T0, T0 + WINDOW_MS]);
    expect([...rows.keys()].sort()).toEqual([`b@${T0 + WINDOW_MS}@10`, `b@${T0 + 2 * WINDOW_MS}@10`]);
    expect(limiter.knows('a')).toBe(true);
    expect(limiter.knows('never')).toBe(false);
    c.advance(61 * WINDOW_MS);
    await limiter.take('b');
    expect(limiter.knows('a')).toBe(false);
    expect(limiter.size).toBe(1);
  });
});

describe('failed attempts per address', () => {
  it('counts up to the limit per window, then answers the seconds to the reset', () => {
    const c = clock(T0 + 20_000);
    const limiter = new AddressRateLimiter(3, 10, c.now);
    expect([1, 2, 3, 4, 5].map(() => limiter.attempt('203.0.113.9'))).toEqual([0, 0, 0, 40, 40]);
    expect(limiter.attempt('203.0.113.10')).toBe(0); // per address
    limiter.refund('203.0.113.9'); // an attempt that carried a valid key is given back
    expect(limiter.attempt('203.0.113.9')).toBe(0);
    expect(limiter.attempt('203.0.113.9')).toBe(40);
    c.set(T0 + WINDOW_MS);
    expect(limiter.attempt('203.0.113.9')).toBe(0);
  });

  it('holds at most maxAddresses, pushing out the least recently seen one, never clearing the others', () => {
    const c = clock();
    const limiter = new AddressRateLimiter(2, 100, c.now);
    for (let i = 0; i < 100; i++) {
      limiter.attempt(`10.0.0.${i}`);
      limiter.attempt(`10.0.0.${i}`);
    }
    expect(limiter.attempt('10.0.0.0')).toBeGreaterThan(0); // touched: now the most recent
    for (let i = 0; i < 10_000; i++) limiter.attempt(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // a flood of new addresses pushed out the old ones one by one, oldest first: the last 100 are all still held and limited
    for (let i = 9_900; i < 10_000; i++) expect(limiter.attempt(`10.1.${i >> 8}.${i & 255}`)).toBe(0);
    for (let i = 9_900; i < 10_000; i++) expect(limiter.attempt(`10.1.${i >> 8}.${i & 255}`)).toBeGreaterThan(0);
    expect(limiter.size).toBe(100);
  });

  it('keeps a limited address limited while others come and go within the bound', () => {
    const c = clock();
    const limiter = new AddressRateLimiter(1, 3, c.now);
    limiter.attempt('198.51.100.1');
    for (let i = 0; i < 50; i++) {
      expect(limiter.attempt('198.51.100.1')).toBeGreaterThan(0);
      limiter.attempt(`192.0.2.${i}`);
    }
    expect(limiter.size).toBe(3);
  });

  it('counts IPv4-mapped IPv6 as IPv4 and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::203.0.113.7')).toBe('0:0:0:0::/64');
  });
});
