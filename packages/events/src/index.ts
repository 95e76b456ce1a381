// Versioned event envelope {id, type, version, occurredAt, producer, key, payload} and the payloads
// the services exchange over the bus. Money inside payloads is minor units as decimal strings.
import type { PaymentFacts } from './public';

export const TOPICS = {
  paymentEvents: 'payment-events',
  balanceRecompute: 'balance-recompute',
  webhookDelivery: 'webhook-delivery',
  reminderSchedule: 'reminder-schedule',
} as const;

export const TOPIC_PARTITIONS = 8;

/** A payment as the ledger reports it in events: money in minor units as decimal strings. */
export type PaymentSnapshot = PaymentFacts;

interface CaseRef {
  readonly caseId: string;
  readonly partnerId: string;
  readonly reference: string;
  readonly isTest: boolean;
  readonly currency: string;
  readonly notifyEmail: string;
  /** remainder after the change, minor units */
  readonly remainder: string;
}

export interface EventPayloads {
  'payment.recorded': CaseRef & { readonly payment: PaymentSnapshot; readonly createFollowUp: boolean };
  'payment.updated': CaseRef & { readonly before: PaymentSnapshot; readonly payment: PaymentSnapshot };
  'payment.deleted': CaseRef & { readonly payment: PaymentSnapshot };
  'commission.settled': CaseRef & { readonly payment: PaymentSnapshot };
  'account.closed': CaseRef & { readonly closeCode: string; readonly comment: string | null; readonly oldLifecycle: string; readonly newLifecycle: string };
  'account.reopened': CaseRef & { readonly oldLifecycle: string; readonly newLifecycle: string };
}

export type EventType = keyof EventPayloads;
export const EVENT_TYPES = ['payment.recorded', 'payment.updated', 'payment.deleted', 'commission.settled', 'account.closed', 'account.reopened'] as const satisfies readonly EventType[];

export interface Envelope<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly version: 1;
  readonly occurredAt: string;
  readonly producer: string;
  readonly key: string;
  readonly payload: EventPayloads[T];
}

export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export function makeEnvelope<T extends EventType>(
  type: T,
  key: string,
  payload: EventPayloads[T],
  meta: { id: string; occurredAt: Date; producer: string },
): Envelope<T> {
  return { id: meta.id, type, version: 1, occurredAt: meta.occurredAt.toISOString(), producer: meta.producer, key, payload };
}

export class UnknownEventError extends Error {}

/** Parses a bus message value; unknown types and versions are rejected, not guessed. */
export function parseEnvelope(value: string): AnyEnvelope {
  const parsed = JSON.parse(value) as Partial<Envelope>;
  if (typeof parsed.id !== 'string' || typeof parsed.type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(parsed.type) || parsed.version !== 1) {
    throw new UnknownEventError(`unsupported event ${String(parsed.type)} v${String(parsed.version)}`);
  }
  return parsed as AnyEnvelope;
}
export * from './public';

/** For consumers: the envelope, or undefined for a message this version cannot read (log and skip it). */
export function tryParseEnvelope(value: string): AnyEnvelope | undefined {
  try {
    return parseEnvelope(value);
  } catch (error) {
    if (error instanceof UnknownEventError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}
