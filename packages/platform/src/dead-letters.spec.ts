// The pure parts of the dead-letter guard and of waiting for late dependencies: which failures are the
// infrastructure's (redelivered, never parked), the backoff, and the retry loop. The guard against a
// real database and both buses: test/dead-letters.int.spec.ts.
import { DomainError } from '@pp/domain';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { describeError, isTransientError } from './dead-letters';
import { backoffDelay, retryUntilDone, RetryStopped } from './retry';

const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it.each([
    ['connection refused', coded('ECONNREFUSED')],
    ['connection reset', coded('ECONNRESET')],
    ['DNS not yet resolvable', coded('EAI_AGAIN')],
    ['pg: admin shutdown', coded('57P01')],
    ['pg: cannot connect now (starting up)', coded('57P03')],
    ['pg: connection exception class 08', coded('08006')],
    ['pg: too many connections', coded('53300')],
    ['pg: serialization failure', coded('40001')],
    ['pg: deadlock', coded('40P01')],
    ['pg: database does not exist yet', coded('3D000')],
    ['knex pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' })],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['a called service unavailable', new DomainError('ServiceUnavailable', 'A backing service is unavailable')],
    ['wrapped in a cause', new Error('outer', { cause: coded('ECONNREFUSED') })],
  ])('%s is transient', (_label, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a syntax error', new SyntaxError('Unexpected token o in JSON')],
    ['a type error of a handler bug', new TypeError("Cannot read properties of undefined (reading 'payoutCollectionPartner')")],
    ['pg: undefined column', coded('42703')],
    ['pg: unique violation', coded('23505')],
    ['pg: invalid text for uuid', coded('22P02')],
    ['a business error', new DomainError('ValidationError', 'bad')],
    ['not an Error', 'boom'],
  ])('%s is the message’s own', (_label, error) => {
    expect(isTransientError(error)).toBe(false);
  });

  it('describes an error by name and message, bounded', () => {
    expect(describeError(new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(new Error('y'.repeat(5000))).length).toBeLessThanOrEqual(2001);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial pause, capped, within ±20 % jitter', () => {
    const exact = (failures: number) => backoffDelay(failures, { initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.5);
    expect([1, 2, 3, 4, 5, 50].map(exact)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(1, { initialDelayMs: 100 }, () => 0)).toBe(80);
    expect(backoffDelay(1, { initialDelayMs: 100 }, () => 0.999999)).toBe(120);
  });
});

describe('retryUntilDone', () => {
  const logger = pino({ level: 'silent' });

  it('retries a failing attempt until it succeeds, logging each failure', async () => {
    const lines: { msg: string; attempt?: number }[] = [];
    const recording = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string; attempt?: number }) });
    let calls = 0;
    const value = await retryUntilDone(
      'the database',
      async (n) => {
        calls += 1;
        expect(n).toBe(calls);
        if (n < 3) throw coded('ECONNREFUSED');
        return 'up';
      },
      { logger: recording, initialDelayMs: 1, maxDelayMs: 2 },
    );
    expect(value).toBe('up');
    expect(calls).toBe(3);
    expect(lines.filter((l) => l.msg.startsWith('waiting for the database: attempt')).map((l) => l.attempt)).toEqual([1, 2]);
    expect(lines.some((l) => l.msg === 'the database: ready after 3 attempts')).toBe(true);
  });

  it('ends with RetryStopped once stopped', async () => {
    let stopped = false;
    const waiting = retryUntilDone(
      'Kafka',
      async () => {
        stopped = true;
        throw new Error('no broker');
      },
      { logger, initialDelayMs: 1, stopped: () => stopped },
    );
    await expect(waiting).rejects.toBeInstanceOf(RetryStopped);
  });
});
