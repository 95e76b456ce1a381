// Webhook rules (SPEC §6) that need no I/O: which events exist, who receives an event, and what an
// attempt's outcome means for the delivery and its subscription.

export const WEBHOOK_EVENTS = ['case.updated', 'case.closed', 'payment.created', 'payment.updated', 'payment.deleted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const isWebhookEvent = (v: string): v is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(v);

export type Classification = 'production' | 'test';
export const classificationOf = (isTestCase: boolean): Classification => (isTestCase ? 'test' : 'production');

export interface SubscriptionView {
  readonly isActive: boolean;
  readonly isTestMode: boolean;
  readonly events: readonly string[];
}

/** Test-case events go only to test-mode subscriptions, production events only to the others. */
export function subscriptionReceives(sub: SubscriptionView, event: WebhookEvent, isTestCase: boolean): boolean {
  return sub.isActive && sub.isTestMode === isTestCase && sub.events.includes(event);
}

export type AttemptResult = { readonly status: number } | { readonly error: string };

export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  /** the next attempt is due after `delayMs` */
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** every attempt of the schedule failed; `disable` when this makes the streak reach the limit */
  | { readonly kind: 'exhausted'; readonly failedStreak: number; readonly disable: boolean }
  /** the receiver answered 410 Gone: the subscription is disabled at once */
  | { readonly kind: 'gone' };

export interface AttemptPolicy {
  /** delays before each attempt; attempt n (1-based) waits schedule[n-1] */
  readonly schedule: readonly number[];
  readonly disableAfter: number;
}

export const isDelivered = (r: AttemptResult) => 'status' in r && r.status >= 200 && r.status < 300;

/**
 * `attempt` is the number of the attempt just made (1-based); `failedStreak` the subscription's count
 * of consecutive exhausted events before this one.
 */
export function decideAttempt(result: AttemptResult, attempt: number, failedStreak: number, policy: AttemptPolicy): AttemptOutcome {
  if (isDelivered(result)) return { kind: 'delivered' };
  if ('status' in result && result.status === 410) return { kind: 'gone' };
  const next = policy.schedule[attempt];
  if (next !== undefined) return { kind: 'retry', delayMs: next };
  const streak = failedStreak + 1;
  return { kind: 'exhausted', failedStreak: streak, disable: streak >= policy.disableAfter };
}

/** Jitter that never makes a retry early: up to +10 % (at most one minute) on top of the delay. */
export function withJitter(delayMs: number, random: number): number {
  if (delayMs <= 0) return 0;
  return delayMs + Math.floor(Math.min(delayMs * 0.1, 60_000) * Math.min(Math.max(random, 0), 1));
}
