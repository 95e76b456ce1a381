// Webhook subscriptions (SPEC §6): create with a secret shown once, read, change, re-enable, delete;
// the delivery log and replay. Destinations are checked against the SSRF policy at registration.
import { DomainError, isWebhookEvent, validationError } from '@pp/domain';
import { checkDestination, DestinationRefused, newSecret } from '../infra/webhook-http';
import * as w from '../infra/webhooks.queries';
import type { CaseContext } from './context';
import { deliveryMessage } from './public-events';

const notFound = () => new DomainError('WebhookNotFound', 'Webhook not found');

async function checkedUrl(ctx: CaseContext, url: string): Promise<string> {
  try {
    return (await checkDestination(url, ctx.webhooks.destinations)).url.toString();
  } catch (error) {
    if (error instanceof DestinationRefused) throw validationError([{ field: 'url', message: error.message }]);
    throw error;
  }
}

function checkedEvents(events: readonly string[]): string[] {
  const unknown = events.filter((e) => !isWebhookEvent(e));
  if (events.length === 0 || unknown.length > 0)
    throw validationError([
      { field: 'events', message: events.length === 0 ? 'events: must name at least one event' : `events: unknown event ${unknown.join(', ')}` },
    ]);
  return [...new Set(events)];
}

export async function createWebhook(
  ctx: CaseContext,
  cmd: { partnerId: string; url: string; events: readonly string[]; isTestMode: boolean; officeEmail: string },
): Promise<w.SubscriptionRow> {
  const events = checkedEvents(cmd.events);
  const url = await checkedUrl(ctx, cmd.url);
  const now = ctx.clock();
  const row: w.SubscriptionRow = {
    id: ctx.newId(),
    partner_id: cmd.partnerId,
    url,
    events,
    is_active: true,
    is_test_mode: cmd.isTestMode,
    secret: newSecret(),
    disabled_reason: null,
    failed_streak: 0,
    notify_email: cmd.officeEmail === '' ? null : cmd.officeEmail,
    created_at: now,
    updated_at: now,
  };
  await w.insertSubscription(ctx.db, row);
  return row;
}

export async function getWebhook(ctx: CaseContext, partnerId: string, id: string): Promise<w.SubscriptionRow> {
  const row = await w.findSubscription(ctx.db, partnerId, id);
  if (!row) throw notFound();
  return row;
}

export interface WebhookChanges {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly isActive?: boolean;
  readonly regenerateSecret: boolean;
  /** the partner's office address now ('' = unknown: keep the stored one) */
  readonly officeEmail: string;
}

export async function updateWebhook(
  ctx: CaseContext,
  partnerId: string,
  id: string,
  changes: WebhookChanges,
): Promise<{ row: w.SubscriptionRow; secretShown: boolean }> {
  const events = changes.events === undefined ? undefined : checkedEvents(changes.events);
  const url = changes.url === undefined ? undefined : await checkedUrl(ctx, changes.url);
  return ctx.db.transaction(async (trx) => {
    const row = await w.findSubscription(trx, partnerId, id, true);
    if (!row) throw notFound();
    const next: Partial<w.SubscriptionRow> = { updated_at: ctx.clock() };
    if (url !== undefined) next.url = url;
    if (events !== undefined) next.events = events;
    if (changes.isActive === true) Object.assign(next, { is_active: true, disabled_reason: null, failed_streak: 0 });
    if (changes.isActive === false && row.is_active) Object.assign(next, { is_active: false, disabled_reason: 'Disabled by the partner' });
    if (changes.regenerateSecret) next.secret = newSecret();
    if (changes.officeEmail !== '') next.notify_email = changes.officeEmail;
    await w.updateSubscription(trx, id, next);
    return { row: { ...row, ...next } as w.SubscriptionRow, secretShown: changes.regenerateSecret };
  });
}

export async function deleteWebhook(ctx: CaseContext, partnerId: string, id: string): Promise<void> {
  if ((await w.deleteSubscription(ctx.db, partnerId, id)) === 0) throw notFound();
}

/** A fresh delivery of the stored payload: attempt 1, same webhook-id, marked as a replay. */
export async function replayEvent(ctx: CaseContext, partnerId: string, deliveryId: string): Promise<w.DeliveryRow> {
  return ctx.uow.run(async ({ trx, emit }) => {
    const row = await w.findDelivery(trx, partnerId, deliveryId, true);
    if (!row) throw new DomainError('EventNotFound', 'Event not found');
    await w.updateDelivery(trx, row.id, {
      status: 'Pending',
      attempt_count: 0,
      enqueued_attempt: 1,
      next_attempt_at: ctx.clock(),
      lease_token: null,
      lease_until: null,
      replay: true,
    });
    emit(deliveryMessage(ctx, row.case_id, { deliveryId: row.id, attempt: 1 }));
    return row;
  });
}
