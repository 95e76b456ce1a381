// Waiting for a dependency that is late (PostgreSQL, Kafka, a topic's leaders, a consumer group): the
// attempt is retried forever with capped exponential backoff, and every failure is logged. Each attempt
// is bounded by the client's own timeouts (pg connect, knex acquire, kafkajs retries, the group join
// wait of the Kafka bus), so a process never hangs on one attempt and never exits for a late dependency.
import type { Logger } from './logger';

export interface BackoffOptions {
  /** the pause after the first failure */
  readonly initialDelayMs?: number;
  /** the longest pause between attempts */
  readonly maxDelayMs?: number;
}

/** The pause before attempt `failures + 1`: initial × 2^(failures − 1), capped, with ±20 % jitter. */
export function backoffDelay(failures: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const base = Math.min(max, initial * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

export class RetryStopped extends Error {
  constructor(what: string) {
    super(`stopped while waiting for ${what}`);
    this.name = 'RetryStopped';
  }
}

export interface RetryOptions extends BackoffOptions {
  readonly logger: Logger;
  /** checked before each attempt and after each pause: true ends the wait with RetryStopped */
  readonly stopped?: () => boolean;
  /** extra fields of every log line (e.g. the consumer group) */
  readonly context?: Record<string, unknown>;
  /** true for an error no wait can fix (a broker refusing our credentials): it ends the wait at once */
  readonly fatal?: (error: unknown) => boolean;
}

/**
 * Runs `attempt` until it succeeds, pausing with capped exponential backoff between failures and logging
 * each one (with the attempt number and the pause). It gives up only when `stopped()` says so, or on an
 * error `fatal` picks out.
 */
export async function retryUntilDone<T>(what: string, attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 1; ; n++) {
    if (options.stopped?.()) throw new RetryStopped(what);
    try {
      const value = await attempt(n);
      if (n > 1) options.logger.info({ ...options.context, what, attempts: n }, `${what}: ready after ${n} attempts`);
      return value;
    } catch (error) {
      if (error instanceof RetryStopped || options.fatal?.(error)) throw error;
      const delayMs = backoffDelay(n, options);
      options.logger.warn(
        { ...options.context, what, attempt: n, retryInMs: delayMs, err: error },
        `waiting for ${what}: attempt ${n} failed; retrying in ${delayMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
