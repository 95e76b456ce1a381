// Verifying a webhook the platform sent (Standard Webhooks: webhook-id, webhook-timestamp and
// webhook-signature headers, HMAC-SHA256 over "id.timestamp.body" with the subscription's whsec_ secret,
// five minutes of clock tolerance) and reading it as the typed event of the OpenAPI document.
import { Webhook } from 'standardwebhooks';
import type { WebhookData } from './generated/operations';
import type { components } from './generated/schema';

export type WebhookEventType = keyof WebhookData;

type Envelope = Omit<components['schemas']['WebhookEnvelope'], 'event' | 'data'>;

/** A verified webhook: `event` tells which, and narrows `data` to that event's schema. */
export type WebhookEvent = { [E in WebhookEventType]: Envelope & { readonly event: E; readonly data: WebhookData[E] } }[WebhookEventType];

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * The event, if `body` (the raw request body, exactly as received) carries a valid signature of
 * `secret` for these headers; otherwise WebhookVerificationError. Answer 2xx only after this passed.
 */
export function verifyWebhook(body: string | Buffer, headers: Record<string, string | string[] | undefined> | Headers, secret: string): WebhookEvent {
  const flat: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? (value[0] ?? '') : value;
  try {
    return new Webhook(secret).verify(typeof body === 'string' ? body : body.toString('utf8'), flat) as WebhookEvent;
  } catch (error) {
    throw new WebhookVerificationError(error instanceof Error ? error.message : String(error));
  }
}
