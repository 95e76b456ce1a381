// The start-up wait: a failing attempt is retried until it succeeds, unless the error is one no wait can fix.
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { retryUntilDone } from './retry';

const options = { logger: createLogger('retry-spec', 'silent'), initialDelayMs: 1, maxDelayMs: 1 };

describe('retryUntilDone', () => {
  it('retries a late dependency until it answers', async () => {
    let calls = 0;
    const value = await retryUntilDone(
      'late',
      async () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return 'ready';
      },
      { ...options, fatal: (error) => error instanceof TypeError },
    );
    expect({ value, calls }).toEqual({ value: 'ready', calls: 3 });
  });

  it('ends at once on an error `fatal` picks out, with that error', async () => {
    let calls = 0;
    const refused = new TypeError('credentials refused');
    await expect(
      retryUntilDone(
        'refusing',
        async () => {
          calls++;
          throw refused;
        },
        { ...options, fatal: (error) => error === refused },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });
});
