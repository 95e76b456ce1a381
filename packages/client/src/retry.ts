// What a client may safely do again. An answer that says "not now" (409 IdempotencyKeyInUse while the
// first request with that key still runs, 429 over the rate limit, 503 not ready) is retried after
// Retry-After, or after a growing, jittered pause when the server gave none. A POST goes again only with
// an Idempotency-Key, so a retry can never record a payment twice; a network failure is retried on the
// same terms (the first attempt may have been recorded, and only a key makes that safe).
import { IDEMPOTENT_OPERATIONS } from './generated/operations';

export interface RetryPolicy {
  /** attempts after the first (default 3) */
  readonly maxRetries: number;
  /** first pause without Retry-After, doubled each time (default 250 ms) */
  readonly baseDelayMs: number;
  /** no pause is longer, whatever Retry-After says (default 30 s) */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 30_000 };

const templates = IDEMPOTENT_OPERATIONS.map((o) => ({
  method: o.method,
  pattern: new RegExp(`^${o.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
}));

/** Whether the API takes an Idempotency-Key on this request (from the OpenAPI document). */
export function takesIdempotencyKey(method: string, pathname: string): boolean {
  return templates.some((t) => t.method === method.toUpperCase() && t.pattern.test(pathname));
}

export async function isRetryableAnswer(response: Response): Promise<boolean> {
  if (response.status === 429 || response.status === 503) return true;
  if (response.status !== 409) return false;
  // 409 is also CaseClosed, which no retry changes
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === 'IdempotencyKeyInUse';
}

/** A request may be sent again when it cannot do anything twice: not a POST, or a POST with a key. */
export function mayRepeat(request: Request): boolean {
  return request.method.toUpperCase() !== 'POST' || request.headers.has('Idempotency-Key');
}

/** The pause before retry number `retry` (1-based): Retry-After when the server said, else exponential with jitter. */
export function delayBefore(retry: number, response: Response | undefined, policy: RetryPolicy, random: () => number = Math.random): number {
  const header = response?.headers.get('Retry-After');
  if (header !== null && header !== undefined) {
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), policy.maxDelayMs);
  }
  const exponential = policy.baseDelayMs * 2 ** (retry - 1);
  return Math.min(exponential / 2 + random() * (exponential / 2), policy.maxDelayMs);
}

/**
 * `fetch` with the retries above. Each attempt sends a fresh copy of the request (a body can be read
 * once). `sleep` is injectable for tests.
 */
export function retryingFetch(
  policy: RetryPolicy,
  base: typeof fetch = globalThis.fetch,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): (request: Request) => Promise<Response> {
  return async (request) => {
    const repeatable = mayRepeat(request);
    for (let retry = 0; ; retry++) {
      const attempt = repeatable && retry < policy.maxRetries ? request.clone() : request;
      let response: Response;
      try {
        response = await base(attempt);
      } catch (error) {
        if (!repeatable || retry >= policy.maxRetries) throw error;
        await sleep(delayBefore(retry + 1, undefined, policy));
        continue;
      }
      if (!repeatable || retry >= policy.maxRetries || !(await isRetryableAnswer(response))) return response;
      await response.body?.cancel().catch(() => undefined);
      await sleep(delayBefore(retry + 1, response, policy));
    }
  };
}
