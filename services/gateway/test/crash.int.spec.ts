// Crash recovery through the REST API: the ledger process dies right after committing a payment and
// before answering (test-only fault PP_FAULT_INJECTION=exit-after-record-commit). The gateway must
// answer the first request with a 5xx instead of hanging, and the client's retry with the same
// Idempotency-Key must return the committed payment, never a second one.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { pollUntil, startStack, type RunningStack } from '@pp/testing';
import { ADMIN, client, newCase, newPartner, type Json, type Reply } from './rest-harness';

let stack: RunningStack;
let db: Db;
const logs: string[] = [];
const call = client(() => stack.gatewayUrl);

beforeAll(async () => {
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN },
    serviceEnv: { ledger: { PP_FAULT_INJECTION: 'exit-after-record-commit' } },
    output: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
  db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 2 });
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
});

describe('ledger crash between commit and answer', () => {
  it('answers 5xx, and the retry with the same Idempotency-Key returns the one committed payment', async () => {
    // Cases are created before any payment: the fault only fires after a record-payment commit.
    const partner = await newPartner(call, 'Crash');
    const c = await newCase(call, partner.id, { grossAmount: 100 });
    const body = { date: '2026-11-04', paymentAmount: 100, paymentRecipient: 'CollectionPartner', closeCase: true };
    const headers = { 'Idempotency-Key': 'crash-key-1' };

    const first = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers });
    expect(first.status, first.text).toBe(503);
    expect(first.body).toMatchObject({
      error: 'ServiceUnavailable',
      errorId: expect.any(String),
      businessErrors: [expect.objectContaining({ type: 'ServiceUnavailable' })],
    });
    expect(first.text).not.toMatch(/at .*\.js|ECONN|grpc|stack/i); // no internals leak
    // the errorId is in the gateway's log
    await pollUntil(async () => logs.join('').includes(first.body.errorId), { what: 'the errorId in the gateway log' });
    // the payment did commit before the process died
    const committed = await db.withSchema('ledger').table('payments').where({ case_id: c.id }).select<{ id: string }[]>('id');
    expect(committed).toHaveLength(1);
    // the failed attempt's idempotency record was released, not kept as the final answer
    expect(await db.withSchema('gateway').table('idempotency_keys').where({ partner_id: partner.id, key: 'crash-key-1' })).toEqual([]);

    // while the ledger is down, the retry is refused with a 5xx and still records nothing
    const whileDown = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers });
    expect(whileDown.status).toBe(503);

    await stack.restart('ledger', {}); // the same ledger, without the fault
    // the gateway kept no answer for the key, so the ledger's copy of it must still tell a replay from a
    // misuse: the same key with another body or on another case is a conflict, and it is not stored
    let misuse: Reply | undefined;
    await pollUntil(
      async () => {
        misuse = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body: { ...body, paymentAmount: 99 }, headers });
        return misuse.status < 500; // the gateway may still be reconnecting to the ledger
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the gateway to reach the restarted ledger' },
    );
    expect(misuse!.status, misuse!.text).toBe(422);
    expect(misuse!.body.error).toBe('IdempotencyConflict');
    const otherCase = await newCase(call, partner.id, { grossAmount: 100 });
    const elsewhere = await call('POST', `/cases/${otherCase.id}/payments`, { key: partner.apiKey, body, headers });
    expect(elsewhere.status, elsewhere.text).toBe(422);
    expect(elsewhere.body.error).toBe('IdempotencyConflict');
    expect(await db.withSchema('ledger').table('payments').where({ partner_id: partner.id })).toHaveLength(1);

    let retry: Reply | undefined;
    await pollUntil(
      async () => {
        retry = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers });
        if (retry.status >= 500) return false; // the gateway may still be reconnecting to the ledger
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the retry to reach the restarted ledger' },
    );
    expect(retry!.status, retry!.text).toBe(200);
    // the answer is the payment committed before the crash, so it says it is a replay
    expect(retry!.headers.get('idempotency-replayed')).toBe('true');
    expect(retry!.body).toMatchObject({
      paymentId: committed[0]!.id,
      caseReference: c.reference,
      paymentAmount: 100,
      caseClosed: true,
      closeCode: 'Paid',
      remainingAmount: 0,
      warnings: [],
    });

    const listed = (await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body as Json[];
    expect(listed.map((p) => p.id)).toEqual([committed[0]!.id]);
    expect((await call('GET', `/cases/${c.id}`, { key: partner.apiKey })).body).toMatchObject({
      totalPayments: 100,
      remainder: 0,
      lifecycle: 'Closed',
      closeCode: 'Paid',
    });
    expect(((await call('GET', `/cases/${c.id}/audit`, { key: partner.apiKey })).body as Json[]).map((e) => e.type)).toEqual(['PaymentRecorded', 'CaseClosed']);
    // now the answer is stored: a further retry is a verbatim replay
    const replay = await call('POST', `/cases/${c.id}/payments`, { key: partner.apiKey, body, headers });
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.text).toBe(retry!.text);
    // the events committed with the payment were published after the restart: case-lifecycle closes the case
    await pollUntil(
      async () => (await db.withSchema('cases').table('cases').where({ id: c.id }).first<{ lifecycle: string } | undefined>())?.lifecycle === 'Closed',
      {
        timeoutMs: 20_000,
        what: 'the close to reach case-lifecycle through the outbox',
      },
    );
    expect(await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'payment.created' })).toHaveLength(1);
  });

  it('without the fault, payments record normally after the restart', async () => {
    const partner = await newPartner(call, 'After crash');
    const c = await newCase(call, partner.id);
    const res = await call('POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-04', paymentAmount: 10, paymentRecipient: 'CollectionPartner' },
      headers: { 'Idempotency-Key': 'crash-key-2' },
    });
    expect(res.status, res.text).toBe(200);
    expect(((await call('GET', `/cases/${c.id}/payments`, { key: partner.apiKey })).body as Json[]).length).toBe(1);
  });
});
