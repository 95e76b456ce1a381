// The notice of a disabled subscription (issue 16): an event on the partner-notices topic, written to the
// outbox in the transaction that disables the subscription, so it goes out exactly when the disabling
// commits. Follow-up turns it into one e-mail to the partner's office address.
import { makeEnvelope, TOPICS, type EventPayloads } from '@pp/events';
import type { OutboxMessage } from '@pp/platform';
import type * as w from '../infra/webhooks.queries';
import type { CaseContext } from './context';

export interface DisablingFacts {
  readonly cause: 'gone' | 'failing';
  readonly reason: string;
  readonly failedStreak: number;
  readonly lastResponseCode: number | null;
  readonly lastError: string | null;
  readonly lastResponseExcerpt: string | null;
  readonly at: Date;
}

export function disabledNotice(ctx: Pick<CaseContext, 'newId'>, sub: w.SubscriptionRow, facts: DisablingFacts): OutboxMessage {
  const payload: EventPayloads['webhook.disabled'] = {
    subscriptionId: sub.id,
    partnerId: sub.partner_id,
    notifyEmail: sub.notify_email ?? '',
    url: sub.url,
    isTestMode: sub.is_test_mode,
    cause: facts.cause,
    reason: facts.reason,
    failedStreak: facts.failedStreak,
    lastResponseCode: facts.lastResponseCode,
    lastError: facts.lastError,
    lastResponseExcerpt: facts.lastResponseExcerpt,
    disabledAt: facts.at.toISOString(),
  };
  const envelope = makeEnvelope('webhook.disabled', sub.id, payload, { id: ctx.newId(), occurredAt: facts.at, producer: 'case-lifecycle' });
  // keyed by the subscription: its notices stay in order
  return { id: envelope.id, topic: TOPICS.partnerNotices, key: sub.id, value: JSON.stringify(envelope) };
}
