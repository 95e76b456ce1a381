// SQL of webhook subscriptions, deliveries and the attempt log.
import { readPage, type PageWindow, type Queryable } from '@pp/platform';
import { SCHEMA } from '../migrations';

export interface SubscriptionRow {
  id: string;
  partner_id: string;
  url: string;
  events: string[];
  is_active: boolean;
  is_test_mode: boolean;
  secret: string;
  disabled_reason: string | null;
  failed_streak: number;
  /** the partner's office address for notices (issue 16); null on subscriptions older than it */
  notify_email: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  partner_id: string;
  case_id: string;
  case_event_id: string;
  event_type: string;
  payload: string;
  status: 'Pending' | 'Delivered' | 'Failed';
  attempt_count: number;
  enqueued_attempt: number;
  next_attempt_at: Date;
  lease_token: string | null;
  lease_until: Date | null;
  replay: boolean;
  last_response_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const subs = (db: Queryable) => db.withSchema(SCHEMA).table('webhook_subscriptions');
const deliveries = (db: Queryable) => db.withSchema(SCHEMA).table('webhook_deliveries');

const parseEvents = (row: SubscriptionRow): SubscriptionRow => ({
  ...row,
  events: typeof row.events === 'string' ? (JSON.parse(row.events) as string[]) : row.events,
});

export async function insertSubscription(db: Queryable, row: SubscriptionRow): Promise<void> {
  await subs(db).insert({ ...row, events: JSON.stringify(row.events) });
}

export async function findSubscription(db: Queryable, partnerId: string, id: string, lock = false): Promise<SubscriptionRow | undefined> {
  const q = subs(db).where({ partner_id: partnerId, id });
  if (lock) q.forUpdate();
  const row = await q.first<SubscriptionRow | undefined>();
  return row && parseEvents(row);
}

export async function lockSubscriptionById(db: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const row = await subs(db).where({ id }).forUpdate().first<SubscriptionRow | undefined>();
  return row && parseEvents(row);
}

export async function listSubscriptions(db: Queryable, partnerId: string): Promise<SubscriptionRow[]> {
  return (
    await subs(db)
      .where('partner_id', partnerId)
      .orderBy([{ column: 'created_at', order: 'asc' }, 'id'])
      .select<SubscriptionRow[]>()
  ).map(parseEvents);
}

/** Active subscriptions of the partner in this classification; the caller filters by event. */
export async function activeSubscriptions(db: Queryable, partnerId: string, isTestMode: boolean): Promise<SubscriptionRow[]> {
  return (await subs(db).where({ partner_id: partnerId, is_active: true, is_test_mode: isTestMode }).select<SubscriptionRow[]>()).map(parseEvents);
}

export async function updateSubscription(db: Queryable, id: string, changes: Partial<SubscriptionRow>): Promise<void> {
  const { events, ...rest } = changes;
  await subs(db)
    .where('id', id)
    .update({ ...rest, ...(events ? { events: JSON.stringify(events) } : {}) });
}

export async function deleteSubscription(db: Queryable, partnerId: string, id: string): Promise<number> {
  return subs(db).where({ partner_id: partnerId, id }).delete();
}

export async function insertDeliveries(db: Queryable, rows: DeliveryRow[]): Promise<void> {
  if (rows.length > 0) await deliveries(db).insert(rows).onConflict(['case_event_id', 'subscription_id']).ignore();
}

/**
 * Takes the delivery for one attempt: only when it is pending, on exactly that attempt, due, and not
 * leased by another worker. The lease token guards the write of the outcome.
 */
export async function leaseForAttempt(db: Queryable, id: string, attempt: number, now: Date, token: string, leaseMs: number): Promise<DeliveryRow | undefined> {
  const [row] = await deliveries(db)
    .where({ id, status: 'Pending', attempt_count: attempt - 1 })
    .where('next_attempt_at', '<=', now)
    .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
    .update({ lease_token: token, lease_until: new Date(now.getTime() + leaseMs) })
    .returning<DeliveryRow[]>('*');
  return row;
}

export async function findLeased(db: Queryable, id: string, token: string): Promise<DeliveryRow | undefined> {
  return deliveries(db).where({ id, lease_token: token, status: 'Pending' }).forUpdate().first<DeliveryRow | undefined>();
}

export async function updateDelivery(db: Queryable, id: string, changes: Partial<DeliveryRow>): Promise<void> {
  await deliveries(db).where('id', id).update(changes);
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  response_code: number | null;
  latency_ms: number;
  error: string | null;
  replay: boolean;
  at: Date;
  /** the start of the receiver's answer (NULL for attempts from before it was kept, or without an answer) */
  response_excerpt: string | null;
}

export async function insertAttempt(db: Queryable, row: AttemptRow): Promise<void> {
  await db.withSchema(SCHEMA).table('webhook_attempts').insert(row);
}

/** Every attempt of a delivery, in the order they were made. */
export async function listAttempts(db: Queryable, deliveryId: string): Promise<AttemptRow[]> {
  return db
    .withSchema(SCHEMA)
    .table('webhook_attempts')
    .where('delivery_id', deliveryId)
    .orderBy([{ column: 'at' }, { column: 'id' }])
    .select<AttemptRow[]>();
}

/**
 * Deliveries to hand (again) to the delivery topic: the next attempt is due and was not handed over
 * yet; or a worker leased it and vanished; or it was handed over long ago and nobody took it.
 */
export async function claimDueRetries(db: Queryable, now: Date, limit: number, staleMs: number): Promise<DeliveryRow[]> {
  return deliveries(db)
    .where('status', 'Pending')
    .where('next_attempt_at', '<=', now)
    .whereRaw(`((enqueued_attempt <= attempt_count AND lease_until IS NULL) OR lease_until < ? OR (lease_until IS NULL AND next_attempt_at < ?))`, [
      now,
      new Date(now.getTime() - staleMs),
    ])
    .orderBy('next_attempt_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .select<DeliveryRow[]>();
}

export async function markEnqueued(db: Queryable, rows: readonly DeliveryRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await deliveries(db)
    .whereIn(
      'id',
      rows.map((r) => r.id),
    )
    .update({ enqueued_attempt: db.raw('attempt_count + 1'), lease_token: null, lease_until: null, next_attempt_at: now });
}

export async function findDelivery(db: Queryable, partnerId: string, id: string, lock = false): Promise<DeliveryRow | undefined> {
  const q = deliveries(db).where({ partner_id: partnerId, id });
  if (lock) q.forUpdate();
  return q.first<DeliveryRow | undefined>();
}

/**
 * The delivery log newest first, id breaking the tie (the order of webhook_deliveries_partner_list): one
 * page of it, or (without a page) its newest `limit` rows; `total` counts every matching row either way.
 */
export async function listDeliveries(
  db: Queryable,
  partnerId: string,
  filter: { caseId?: string; since?: Date },
  window: PageWindow,
): Promise<{ rows: DeliveryRow[]; total: number }> {
  const q = deliveries(db).where('partner_id', partnerId);
  if (filter.caseId) q.where('case_id', filter.caseId);
  if (filter.since) q.where('created_at', '>=', filter.since);
  q.orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]);
  return readPage<DeliveryRow>(q, window);
}

export async function deleteDeliveriesOfCases(db: Queryable, caseIds: readonly string[]): Promise<void> {
  if (caseIds.length > 0) await deliveries(db).whereIn('case_id', caseIds).delete();
}

export async function findSubscriptionById(db: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const row = await subs(db).where({ id }).first<SubscriptionRow | undefined>();
  return row && parseEvents(row);
}

export async function dueRetryBacklog(db: Queryable, now: Date): Promise<number> {
  const [row] = await deliveries(db)
    .where('status', 'Pending')
    .where('next_attempt_at', '<=', now)
    .whereRaw('enqueued_attempt <= attempt_count')
    .count<{ count: string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}
