// Partner notices (issue 16): a webhook subscription that case-lifecycle disabled becomes one e-mail to
// the partner's office address. Exactly once over an at-least-once topic: the inbox records the event
// id in the transaction that queues the mail, and the mail's step_id (the event id, unique) backs it up.
import type { AnyEnvelope, EventPayloads } from '@pp/events';
import { claimInbox, type Logger } from '@pp/platform';
import * as f from '../infra/followups.queries';
import { SCHEMA } from '../migrations';
import type { FollowUpContext } from './context';

const CONSUMER = 'follow-up-notices';

export async function applyPartnerNotice(ctx: FollowUpContext, event: AnyEnvelope, logger: Pick<Logger, 'warn'>): Promise<void> {
  if (event.type !== 'webhook.disabled') return; // only notices travel on this topic; anything else is not ours
  const p = event.payload;
  let queued = false;
  await ctx.uow.run(async ({ trx }) => {
    if (!(await claimInbox(trx, SCHEMA, CONSUMER, event.id))) return;
    if (p.notifyEmail === '') {
      // a subscription from before the address was kept: nothing to write to, the API still shows disabledReason
      logger.warn({ subscriptionId: p.subscriptionId, partnerId: p.partnerId }, 'webhook subscription disabled; no office address known for a notice');
      return;
    }
    const text = composeDisabledNotice(p);
    const now = ctx.clock();
    await f.insertEmail(trx, {
      id: ctx.newId(),
      step_id: `webhook-disabled:${event.id}`,
      partner_id: p.partnerId,
      case_id: null,
      payment_id: null,
      kind: 'webhook-disabled',
      to: p.notifyEmail,
      subject: text.subject,
      text: text.body,
      next_attempt_at: now,
      created_at: now,
    });
    queued = true;
  });
  if (queued) ctx.mailQueued();
}

/** What the partner reads: which endpoint, why it was disabled, and how to turn it back on. */
export function composeDisabledNotice(p: EventPayloads['webhook.disabled']): { subject: string; body: string } {
  const why =
    p.cause === 'gone'
      ? `Your endpoint answered 410 Gone, which tells us to stop delivering to it.`
      : `Every delivery attempt failed for ${p.failedStreak} consecutive events.`;
  const last = [
    p.lastResponseCode !== null ? `Last response: HTTP ${p.lastResponseCode}` : undefined,
    // the error of an answer is its status, already said; a transport error (timeout, refused) is not
    p.lastError !== null && p.lastError !== `HTTP ${p.lastResponseCode}` ? `Last error: ${p.lastError}` : undefined,
    p.lastResponseExcerpt ? `Last response body (start): ${p.lastResponseExcerpt}` : undefined,
  ].filter((line): line is string => line !== undefined);
  const facts = [
    `Subscription: ${p.subscriptionId}`,
    `URL: ${p.url}`,
    `Mode: ${p.isTestMode ? 'test' : 'production'}`,
    `Disabled at: ${p.disabledAt}`,
    `Reason: ${p.reason}`,
    ...last,
  ];
  return {
    subject: `Webhook subscription disabled: ${p.url}`,
    body:
      `We have disabled your webhook subscription ${p.subscriptionId} for ${p.url}.\n${why}\n` +
      `No events are delivered to it while it is disabled.\n\n${facts.join('\n')}\n\n` +
      `To re-enable it once the endpoint is fixed, send PUT /webhooks/${p.subscriptionId} with the body {"isActive": true}.\n` +
      `Events that failed meanwhile are listed under GET /webhooks/events and can be sent again with POST /webhooks/events/{id}/replay.\n`,
  };
}
