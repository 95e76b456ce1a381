// Webhook delivery. A message on the webhook-delivery topic asks for one attempt of one delivery; the
// worker leases the row (so duplicates and other replicas stand back), POSTs the signed envelope, and
// records the outcome with the subscription's streak in one transaction. Retries are durable timers:
// the due row is handed to the topic again by the RetryPoller, never before its time.
import { decideAttempt, withJitter } from '@pp/domain';
import { PollingLoop, type Logger } from '@pp/platform';
import { postWebhook, sign, type PostResult } from '../infra/webhook-http';
import * as w from '../infra/webhooks.queries';
import type { CaseContext } from './context';
import { deliveryMessage, type DeliveryMessage } from './public-events';
import { disabledNotice } from './webhook-disabled-notice';

export function parseDeliveryMessage(value: string): DeliveryMessage | undefined {
  const v = JSON.parse(value) as Partial<DeliveryMessage>;
  return typeof v.deliveryId === 'string' && typeof v.attempt === 'number' && v.attempt >= 1 ? (v as DeliveryMessage) : undefined;
}

export type Poster = (url: string, body: string, headers: Record<string, string>) => Promise<PostResult>;

export async function attemptDelivery(ctx: CaseContext, message: DeliveryMessage, post: Poster, logger: Logger): Promise<void> {
  const token = ctx.newId();
  const leaseMs = ctx.webhooks.timeoutMs + 5_000; // longer than any attempt can take
  const delivery = await w.leaseForAttempt(ctx.db, message.deliveryId, message.attempt, ctx.clock(), token, leaseMs);
  if (!delivery) return; // done, not due, another attempt, or another worker holds it
  const subscription = await w.findSubscriptionById(ctx.db, delivery.subscription_id);
  if (!subscription?.is_active) {
    await ctx.db.transaction(async (trx) => {
      if (await w.findLeased(trx, delivery.id, token))
        await w.updateDelivery(trx, delivery.id, { status: 'Failed', last_error: 'subscription disabled', lease_token: null, lease_until: null });
    });
    return;
  }
  const timestamp = Math.floor(ctx.clock().getTime() / 1000);
  const headers: Record<string, string> = {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(subscription.secret, delivery.id, timestamp, delivery.payload),
    ...(delivery.replay ? { 'webhook-replay': 'true' } : {}),
  };
  const result = await post(subscription.url, delivery.payload, headers);
  await ctx.uow.run(async ({ trx, emit }) => {
    // Locks in the order every writer takes them, subscription before delivery: DELETE /webhooks/{id}
    // deletes the subscription and then, by cascade, its deliveries; the other order deadlocked with it.
    const sub = await w.lockSubscriptionById(trx, subscription.id);
    const current = await w.findLeased(trx, delivery.id, token);
    if (!current) return; // replayed or taken over meanwhile: that run records its own outcome
    const now = ctx.clock();
    const outcome = decideAttempt(
      result.status !== undefined ? { status: result.status } : { error: result.error ?? 'unknown error' },
      message.attempt,
      sub?.failed_streak ?? 0,
      ctx.webhooks,
    );
    const error = result.error ?? (outcome.kind === 'delivered' ? null : `HTTP ${result.status ?? 0}`);
    // what a disabling notice tells the partner of the answer that decided it
    const lastAnswer = { lastResponseCode: result.status ?? null, lastError: error, lastResponseExcerpt: result.responseExcerpt ?? null };
    await w.insertAttempt(trx, {
      delivery_id: delivery.id,
      attempt: message.attempt,
      response_code: result.status ?? null,
      latency_ms: result.latencyMs,
      error,
      replay: current.replay,
      at: now,
      response_excerpt: result.responseExcerpt ?? null,
    });
    const base = { attempt_count: message.attempt, last_response_code: result.status ?? null, last_error: error, lease_token: null, lease_until: null };
    ctx.metrics?.webhookAttempts.inc({ outcome: outcome.kind });
    ctx.metrics?.webhookLatency.observe({ outcome: outcome.kind }, result.latencyMs / 1000);
    logger.info(
      {
        deliveryId: delivery.id,
        subscriptionId: subscription.id,
        attempt: message.attempt,
        status: result.status,
        latencyMs: result.latencyMs,
        error,
        outcome: outcome.kind,
      },
      'webhook attempt',
    );
    switch (outcome.kind) {
      case 'delivered':
        await w.updateDelivery(trx, delivery.id, { ...base, status: 'Delivered', delivered_at: now });
        if (sub && sub.failed_streak > 0) await w.updateSubscription(trx, sub.id, { failed_streak: 0 });
        return;
      case 'retry': {
        const delay = withJitter(outcome.delayMs, ctx.random());
        if (delay === 0) {
          await w.updateDelivery(trx, delivery.id, { ...base, next_attempt_at: now, enqueued_attempt: message.attempt + 1 });
          emit(deliveryMessage(ctx, delivery.case_id, { deliveryId: delivery.id, attempt: message.attempt + 1 }));
        } else {
          await w.updateDelivery(trx, delivery.id, { ...base, next_attempt_at: new Date(now.getTime() + delay) });
        }
        return;
      }
      case 'gone':
        await w.updateDelivery(trx, delivery.id, { ...base, status: 'Failed' });
        // `sub.is_active`: a subscription the partner (or an earlier answer) already disabled gets no second notice
        if (sub?.is_active) {
          const reason = 'The endpoint answered 410 Gone';
          await w.updateSubscription(trx, sub.id, { is_active: false, disabled_reason: reason, updated_at: now });
          emit(disabledNotice(ctx, sub, { cause: 'gone', reason, failedStreak: 0, ...lastAnswer, at: now }));
          ctx.metrics?.webhookDisabled.inc({ reason: 'gone' });
        }
        return;
      case 'exhausted':
        await w.updateDelivery(trx, delivery.id, { ...base, status: 'Failed' });
        if (sub) {
          const disable = outcome.disable && sub.is_active;
          const reason = `Every delivery attempt failed for ${outcome.failedStreak} consecutive events`;
          await w.updateSubscription(trx, sub.id, {
            failed_streak: outcome.failedStreak,
            ...(disable ? { is_active: false, disabled_reason: reason, updated_at: now } : {}),
          });
          if (disable) {
            const facts = { cause: 'failing', reason, failedStreak: outcome.failedStreak, ...lastAnswer, at: now } as const;
            emit(disabledNotice(ctx, sub, facts));
            ctx.metrics?.webhookDisabled.inc({ reason: 'failing' });
          }
        }
        return;
    }
  });
}

/** Hands due retries (and deliveries whose worker vanished) to the delivery topic. */
export function retryPoller(ctx: CaseContext, logger: Logger, pollMs: number): PollingLoop {
  const drainOnce = () =>
    ctx.uow.run(async ({ trx, emit }) => {
      const now = ctx.clock();
      const due = await w.claimDueRetries(trx, now, 200, 120_000);
      await w.markEnqueued(trx, due, now);
      for (const d of due) emit(deliveryMessage(ctx, d.case_id, { deliveryId: d.id, attempt: d.attempt_count + 1 }));
      return due.length;
    });
  return new PollingLoop('webhook retries', drainOnce, pollMs, logger);
}

export function httpPoster(ctx: CaseContext): Poster {
  return (url, body, headers) => postWebhook(url, body, headers, ctx.webhooks.destinations, ctx.webhooks.timeoutMs);
}
