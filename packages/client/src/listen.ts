// `pp-client listen` (issue 16), like `stripe listen`: webhooks on a laptop without a public URL. It
// follows the partner's event stream (GET /webhooks/events/stream) and forwards each event to a local
// URL, signed with a secret of its own (Standard Webhooks, the same headers the platform sends), so the
// receiver's verification code runs unchanged. It resumes after a disconnect from the last event it
// forwarded (Last-Event-ID): an event is forwarded until the receiver answers 2xx, then never again.
import { Webhook } from 'standardwebhooks';
import { sseMessages, type SseMessage } from './sse';

export interface ListenOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly forwardTo: string;
  /** whsec_…; the receiver verifies with it */
  readonly secret: string;
  /** the events of test cases instead of production ones */
  readonly testMode?: boolean;
  /** resume after this stream position */
  readonly lastEventId?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** A signing secret: whsec_ and 24 random bytes in base64. */
export function newSigningSecret(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return `whsec_${Buffer.from(bytes).toString('base64')}`;
}

export class ListenRefused extends Error {}

const MAX_BACKOFF_MS = 30_000;

/** Runs until `signal` aborts; rejects with ListenRefused when the API refuses the key or the request. */
export async function listen(options: ListenOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const signer = new Webhook(options.secret);
  const streamUrl = `${options.baseUrl.replace(/\/+$/, '')}/webhooks/events/stream${options.testMode ? '?isTestMode=true' : ''}`;
  let position = options.lastEventId;
  let backoffMs = 500;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  const aborted = () => options.signal?.aborted === true;

  const forward = async (message: SseMessage) => {
    const id = (JSON.parse(message.data) as { id: string }).id;
    for (let wait = 500; !aborted(); wait = Math.min(wait * 2, MAX_BACKOFF_MS)) {
      const now = new Date();
      try {
        const res = await fetch(options.forwardTo, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signer.sign(id, now, message.data),
          },
          body: message.data,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        await res.body?.cancel().catch(() => undefined);
        log(`${now.toISOString()}  ${message.event ?? 'event'} ${id}  → ${res.status}`);
        if (res.ok) return true;
      } catch (error) {
        if (aborted()) return false;
        log(`${now.toISOString()}  ${message.event ?? 'event'} ${id}  → ${options.forwardTo} unreachable (${(error as Error).message})`);
      }
      await pause(wait);
    }
    return false;
  };

  while (!aborted()) {
    try {
      const res = await fetch(streamUrl, {
        headers: { XApiKey: options.apiKey, accept: 'text/event-stream', ...(position ? { 'Last-Event-ID': position } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if ([400, 401, 403, 404].includes(res.status)) throw new ListenRefused(`${streamUrl} answered ${res.status}: ${await res.text()}`);
      if (!res.ok || !res.body) throw new Error(`${streamUrl} answered ${res.status}`);
      backoffMs = 500;
      log(`connected to ${streamUrl}${position ? ` (resuming after ${position})` : ''}`);
      for await (const message of sseMessages(res.body)) {
        if (!(await forward(message))) return;
        if (message.id) position = message.id;
      }
      log('the stream ended; reconnecting');
    } catch (error) {
      if (error instanceof ListenRefused) throw error;
      if (aborted()) return;
      log(`the stream is not reachable (${(error as Error).message}); retrying in ${backoffMs} ms`);
      await pause(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}
