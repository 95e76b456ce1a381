// Versioned event envelope {id, type, version, occurredAt, producer, key, payload} and the payloads
// the services exchange over the bus. Money inside payloads is minor units as decimal strings.
import type { PaymentFacts } from './public';

export const TOPICS = {
  paymentEvents: 'payment-events',
  balanceRecompute: 'balance-recompute',
  webhookDelivery: 'webhook-delivery',
  reminderSchedule: 'reminder-schedule',
  /** notices to a partner about its own integration (key: the subject's id, e.g. the subscription) */
  partnerNotices: 'partner-notices',
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
  /** PUT /cases/{id}/fees changed what is owed (SPEC §10); `remainder` is the new balance */
  'account.fees_updated': CaseRef;
  /** the account's balance, announced once for the accounts from before case-lifecycle kept a copy of it */
  'account.balance_announced': CaseRef;
  /**
   * Case-lifecycle disabled a webhook subscription (SPEC §6: a 410, or every attempt failed for N
   * consecutive events), on the partner-notices topic; follow-up mails the partner's office address.
   */
  'webhook.disabled': {
    readonly subscriptionId: string;
    readonly partnerId: string;
    /** the partner's office address as known to the subscription; '' when none was ever given */
    readonly notifyEmail: string;
    readonly url: string;
    readonly isTestMode: boolean;
    readonly cause: 'gone' | 'failing';
    /** the disabledReason the API shows */
    readonly reason: string;
    /** consecutive events whose every attempt failed (0 for a 410) */
    readonly failedStreak: number;
    readonly lastResponseCode: number | null;
    readonly lastError: string | null;
    /** the start of the last answer's body, as the delivery history keeps it */
    readonly lastResponseExcerpt: string | null;
    readonly disabledAt: string;
  };
}

export type EventType = keyof EventPayloads;
export const EVENT_TYPES = [
  'payment.recorded',
  'payment.updated',
  'payment.deleted',
  'commission.settled',
  'account.closed',
  'account.reopened',
  'account.fees_updated',
  'account.balance_announced',
  'webhook.disabled',
] as const satisfies readonly EventType[];

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

/** A well-formed envelope of a type or version this code does not know (a newer producer). */
export class UnknownEventError extends Error {}

/** A value that is no envelope at all (not JSON, not an object, no id or type): a bug or corruption, never a newer producer. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

/** Parses a bus message value; unknown types and versions are rejected, not guessed. */
export function parseEnvelope(value: string): AnyEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new MalformedEventError(`event is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedEventError('event is not a JSON object');
  const e = parsed as Partial<Envelope>;
  if (typeof e.id !== 'string' || e.id === '' || typeof e.type !== 'string' || typeof e.version !== 'number' || !Number.isInteger(e.version) || e.version < 1) {
    throw new MalformedEventError(`event envelope lacks a string id, a string type or an integer version ≥ 1`);
  }
  if (!(EVENT_TYPES as readonly string[]).includes(e.type) || e.version !== 1) {
    throw new UnknownEventError(`unsupported event ${e.type} v${e.version}`);
  }
  return e as AnyEnvelope;
}

export * from './public';

/**
 * For consumers: the envelope, or undefined for a well-formed event of a type or version this code does
 * not know (a newer producer during a rolling deploy: log and skip it). A malformed value throws
 * MalformedEventError: no correct producer writes it, and skipping it could lose an event silently, so
 * the consumer's dead-letter guard parks it where an operator sees it and can retry it after a fix.
 */
export function tryParseEnvelope(value: string): AnyEnvelope | undefined {
  try {
    return parseEnvelope(value);
  } catch (error) {
    if (error instanceof UnknownEventError) return undefined;
    throw error;
  }
}

/** What a consumer of envelopes logs (a pino logger fits). */
export interface EnvelopeLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * The handler of a consumer of ledger envelopes: an event of a type or version this code does not
 * know (a newer producer) is logged and skipped; a malformed one throws (the dead-letter guard parks
 * it); any other is applied and logged with the request id it carries.
 */
export function envelopeHandler(log: EnvelopeLog, apply: (event: AnyEnvelope) => Promise<void>, applied: string) {
  return async (message: { value: string; topic: string; offset: string; headers: Record<string, string> }): Promise<void> => {
    const event = tryParseEnvelope(message.value);
    if (!event) return log.warn({ offset: message.offset, topic: message.topic }, 'skipping unknown event');
    await apply(event);
    log.info({ eventId: event.id, type: event.type, requestId: message.headers['x-request-id'] }, applied);
  };
}
