// Appends to the public event log of a case (numbered per case) and fans the event out to the
// partner's matching webhook subscriptions, in the caller's transaction: one delivery row per
// subscription, handed to the webhook-delivery topic through the outbox when its first attempt is due.
import { classificationOf, subscriptionReceives, type WebhookEvent } from '@pp/domain';
import { TOPICS, type WebhookEnvelope } from '@pp/events';
import type { TxContext } from '@pp/platform';
import * as q from '../infra/cases.queries';
import * as w from '../infra/webhooks.queries';
import type { CaseContext } from './context';

export interface DeliveryMessage {
  readonly deliveryId: string;
  readonly attempt: number;
}

export function deliveryMessage(ctx: CaseContext, caseId: string, m: DeliveryMessage) {
  return { id: ctx.newId(), topic: TOPICS.webhookDelivery, key: caseId, value: JSON.stringify(m) };
}

/**
 * Appends the event and fans it out; `only` narrows the fan-out to that one subscription (a fired test
 * event, SPEC §10). Answers the event's sequence and how many deliveries were queued.
 */
export async function appendPublic(
  ctx: CaseContext,
  tx: TxContext,
  row: q.CaseRow,
  type: WebhookEvent,
  data: Record<string, unknown>,
  at: Date,
  only?: string,
): Promise<{ sequence: number; enqueued: number }> {
  const sequence = row.event_sequence + 1;
  row.event_sequence = sequence;
  const eventId = ctx.newId();
  const full = { ...data, sequence };
  await q.insertCaseEvent(tx.trx, {
    id: eventId,
    case_id: row.id,
    partner_id: row.partner_id,
    type,
    sequence,
    is_test: row.is_test,
    data: full,
    created_at: at,
  });
  const subscriptions = (await w.activeSubscriptions(tx.trx, row.partner_id, row.is_test)).filter(
    (s) =>
      (only === undefined || s.id === only) && subscriptionReceives({ isActive: s.is_active, isTestMode: s.is_test_mode, events: s.events }, type, row.is_test),
  );
  const now = ctx.clock();
  const firstDelay = ctx.webhooks.schedule[0] ?? 0;
  const deliveries: w.DeliveryRow[] = subscriptions.map((s) => {
    const id = ctx.newId();
    const envelope: WebhookEnvelope = {
      id,
      specVersion: '1.0',
      event: type,
      timestamp: at.toISOString(),
      classification: classificationOf(row.is_test),
      data: full,
    };
    return {
      id,
      subscription_id: s.id,
      partner_id: row.partner_id,
      case_id: row.id,
      case_event_id: eventId,
      event_type: type,
      payload: JSON.stringify(envelope),
      status: 'Pending',
      attempt_count: 0,
      enqueued_attempt: firstDelay === 0 ? 1 : 0,
      next_attempt_at: new Date(now.getTime() + firstDelay),
      lease_token: null,
      lease_until: null,
      replay: false,
      last_response_code: null,
      last_error: null,
      created_at: now,
      delivered_at: null,
    };
  });
  await w.insertDeliveries(tx.trx, deliveries);
  if (firstDelay === 0) for (const d of deliveries) tx.emit(deliveryMessage(ctx, row.id, { deliveryId: d.id, attempt: 1 }));
  return { sequence, enqueued: deliveries.length };
}
