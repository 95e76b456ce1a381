import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideAttempt, subscriptionReceives, withJitter } from './webhooks';

const policy = { schedule: [0, 5_000, 300_000], disableAfter: 2 };

describe('webhook routing', () => {
  it('sends test-case events only to test-mode subscriptions and production events only to the others', () => {
    const prod = { isActive: true, isTestMode: false, events: ['case.updated'] };
    const test = { ...prod, isTestMode: true };
    expect(subscriptionReceives(prod, 'case.updated', false)).toBe(true);
    expect(subscriptionReceives(prod, 'case.updated', true)).toBe(false);
    expect(subscriptionReceives(test, 'case.updated', true)).toBe(true);
    expect(subscriptionReceives(test, 'case.updated', false)).toBe(false);
    expect(subscriptionReceives(prod, 'payment.created', false)).toBe(false);
    expect(subscriptionReceives({ ...prod, isActive: false }, 'case.updated', false)).toBe(false);
  });
});

describe('attempt outcomes', () => {
  it('treats only 2xx as delivered, 410 as gone, and follows the schedule', () => {
    expect(decideAttempt({ status: 204 }, 1, 0, policy)).toEqual({ kind: 'delivered' });
    expect(decideAttempt({ status: 301 }, 1, 0, policy)).toEqual({ kind: 'retry', delayMs: 5_000 });
    expect(decideAttempt({ error: 'timeout' }, 2, 0, policy)).toEqual({ kind: 'retry', delayMs: 300_000 });
    expect(decideAttempt({ status: 410 }, 1, 0, policy)).toEqual({ kind: 'gone' });
    expect(decideAttempt({ status: 500 }, 3, 0, policy)).toEqual({ kind: 'exhausted', failedStreak: 1, disable: false });
    expect(decideAttempt({ status: 500 }, 3, 1, policy)).toEqual({ kind: 'exhausted', failedStreak: 2, disable: true });
  });

  it('jitters retries later, never earlier', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 36_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (delay, r) => {
        const d = withJitter(delay, r);
        expect(d).toBeGreaterThanOrEqual(delay);
        expect(d - delay).toBeLessThanOrEqual(60_000);
      }),
      { seed: 7 },
    );
    expect(withJitter(0, 1)).toBe(0);
  });
});
