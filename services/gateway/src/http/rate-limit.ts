// The rate limits at the edge (SPEC §1): the limiters of ../app/rate-limit on the gateway's database,
// the RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) and the 429 answer.
import type { FastifyReply } from 'fastify';
import { AddressRateLimiter, KeyRateLimiter, windowStart, type RateDecision } from '../app/rate-limit';
import { deleteRateLimitWindowsBefore, leaseRateLimitTokens } from '../infra/gateway.queries';
import type { GatewayContext } from './context';

export interface RateLimits {
  /** authenticated keys: `perMinute` a window across every replica (tokens leased from gateway.rate_limit_windows) */
  readonly keys: KeyRateLimiter;
  /** missing or unknown keys: `perMinute` failed attempts a window per client address, in this process */
  readonly addresses: AddressRateLimiter;
}

export function createRateLimits(ctx: Pick<GatewayContext, 'db' | 'logger' | 'metrics'>, perMinute: number): RateLimits {
  let warnedIn = -1;
  const keys = new KeyRateLimiter(
    perMinute,
    {
      lease: (keyHash, start, ask, limit) => leaseRateLimitTokens(ctx.db, { keyHash, windowStart: new Date(start), ask, limit }),
      prune: async (before) => {
        await deleteRateLimitWindowsBefore(ctx.db, new Date(before));
      },
    },
    {
      // Fail open: a database blip must not become 429s (or 5xx) for every partner. Counted every time,
      // logged once a window so an outage does not flood the log.
      onStoreError: (error) => {
        ctx.metrics.rateLimitStoreErrors.inc();
        const window = windowStart(Date.now());
        if (warnedIn === window) return;
        warnedIn = window;
        ctx.logger.warn({ err: error }, 'rate limit: leasing tokens from the database failed; requests are allowed without the shared limit until it answers');
      },
    },
  );
  return { keys, addresses: new AddressRateLimiter(perMinute) };
}

/** The key's budget on every answer to an authenticated request (the 429 too). */
export function rateLimitHeaders(reply: FastifyReply, d: RateDecision): void {
  void reply.headers({
    'RateLimit-Limit': String(d.limit),
    'RateLimit-Remaining': String(d.remaining),
    'RateLimit-Reset': String(d.reset),
    'RateLimit-Policy': `${d.limit};w=60`,
  });
}

/** 429 with the SPEC §1 body and Retry-After. */
export function tooManyRequests(reply: FastifyReply, seconds: number): FastifyReply {
  return reply
    .code(429)
    .header('Retry-After', String(seconds))
    .send({ error: 'rate_limit_exceeded', message: `Rate limit exceeded; retry in ${seconds} s`, retryAfter: seconds });
}
