// Issue 11, the short fuzz run against the distributed stack: hostile input generated from the gateway's
// own /openapi.json (every operation, parameter and body field; malformed JSON, wrong types, deep and huge
// bodies, hostile headers, unicode, duplicate keys, foreign and malformed ids, other spellings of /admin).
// No 5xx, no hang, no partial write, no /admin operation reached with a partner key, the §1 error body,
// and another partner's id answered like an unknown one. The generator and the checks are
// packages/testing/src/fuzz.ts, the same code as `npm run fuzz` (bench/fuzz.mjs), with a smaller budget.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runFuzz, startStack, WebhookSink, type RunningStack } from '@pp/testing';
import { ADMIN } from './rest-harness';

let stack: RunningStack;
const receiver = new WebhookSink();

beforeAll(async () => {
  await receiver.start();
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '100000000' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
});

describe('fuzz: hostile input from /openapi.json', () => {
  it('no 5xx, hang, partial write, admin bypass, off-contract error body or foreign-id leak', async () => {
    const report = await runFuzz({
      baseUrl: stack.gatewayUrl,
      adminKey: ADMIN,
      mode: 'stack',
      seed: 1,
      requests: 800,
      timeLimitMs: 90_000,
      requestTimeoutMs: 10_000,
      databaseUrl: inject('databaseUrl'),
      webhookUrl: receiver.url('/fuzz'),
      log: (line) => console.log(`[fuzz] ${line}`),
    });
    console.log(report.lines.join('\n'));
    expect(report.sent).toBeGreaterThan(0);
    expect(report.findings.map((f) => `[${f.kind}] #${f.n} ${f.method} ${f.path.slice(0, 200)} → ${f.status}: ${f.detail}`)).toEqual([]);
  }, 150_000);
});
