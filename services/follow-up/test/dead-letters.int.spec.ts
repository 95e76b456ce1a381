// Issue 11, item 8, end to end on the distributed stack (real PostgreSQL, real Kafka): a message the
// follow-up's handler cannot handle no longer blocks its partition. Poison on reminder-schedule (not
// JSON) and on payment-events (an envelope whose payload makes the handler throw) are tried
// CONSUMER_MAX_ATTEMPTS times, parked in followup.dead_letters and skipped; the next message of the
// same partition is handled; the operator lists them and retries one (still failing: it stays parked).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TOPICS } from '@pp/events';
import { createDb, createLogger, KafkaBus, type Db } from '@pp/platform';
import { Api, pollUntil, startStack, type RunningStack } from '@pp/testing';

const ADMIN = 'dead-letters-admin-key';
const MAX_ATTEMPTS = 3;

interface DeadLetter {
  id: string;
  service: string;
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  error: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  status: 'Parked' | 'Resolved';
  resolvedAt: string | null;
}

let stack: RunningStack;
let api: Api;
let bus: KafkaBus;
let db: Db;

beforeAll(async () => {
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, CONSUMER_MAX_ATTEMPTS: String(MAX_ATTEMPTS), CONSUMER_RETRY_BACKOFF_MS: '20' },
  });
  api = new Api(stack.gatewayUrl, ADMIN);
  bus = new KafkaBus({ brokers: inject('kafkaBrokers').split(','), clientId: 'dead-letters-e2e', logger: createLogger('dead-letters-e2e', 'silent') });
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
});

afterAll(async () => {
  await bus?.close();
  await db?.destroy();
  await stack?.stop();
});

const deadLetters = (query = '') => api.expect<DeadLetter[]>(200, 'GET', `/admin/dead-letters${query}`, { key: ADMIN });

describe('dead letters', () => {
  it('parks a poison timer message after the bounded attempts, handles the next one of its partition, and keeps it parked on a failing retry', async () => {
    const paymentId = randomUUID(); // the key: both messages land on one partition
    const poison = `not json ${randomUUID()}`;
    const nextTimer = { timerId: randomUUID(), paymentId, kind: 'remind', generation: 1, step: 1 };
    await bus.publish([
      { topic: TOPICS.reminderSchedule, key: paymentId, value: poison },
      { topic: TOPICS.reminderSchedule, key: paymentId, value: JSON.stringify(nextTimer) },
    ]);

    const parked = await pollUntil(async () => (await deadLetters('?service=follow-up')).find((d) => d.value === poison), {
      timeoutMs: 30_000,
      what: 'the poison timer message parked',
    });
    expect(parked).toMatchObject({
      service: 'follow-up',
      groupId: 'follow-up-timers',
      topic: TOPICS.reminderSchedule,
      key: paymentId,
      attempts: MAX_ATTEMPTS,
      status: 'Parked',
      resolvedAt: null,
    });
    expect(parked.error).toMatch(/malformed timer message: not JSON/);
    // The message behind it on the same partition was handled (its inbox row is the proof: the payment has no follow-up, so nothing else changes).
    await pollUntil(
      async () => (await db.withSchema('followup').table('inbox').where({ consumer: 'follow-up-timers', event_id: nextTimer.timerId })).length === 1,
      { timeoutMs: 30_000, what: 'the next timer message handled' },
    );

    // The operator retries it: the handler fails again, the row stays parked with one more attempt.
    const retried = await api.expect<DeadLetter>(200, 'POST', `/admin/dead-letters/${parked.id}/retry`, { key: ADMIN });
    expect(retried).toMatchObject({ id: parked.id, service: 'follow-up', status: 'Parked', attempts: MAX_ATTEMPTS + 1, resolvedAt: null });
    expect(retried.error).toMatch(/malformed timer message/);
    expect(Date.parse(retried.lastFailedAt)).toBeGreaterThanOrEqual(Date.parse(parked.lastFailedAt));
    expect((await deadLetters('?status=Parked')).map((d) => d.id)).toContain(parked.id);
    expect((await deadLetters('?status=Resolved')).map((d) => d.id)).not.toContain(parked.id);

    // Counted where Prometheus looks.
    const metrics = await (await fetch(`http://127.0.0.1:${stack.metricsPorts['follow-up']}/metrics`)).text();
    expect(metrics).toMatch(/messages_dead_lettered_total\{[^}]*group="follow-up-timers"[^}]*topic="reminder-schedule"[^}]*\} [1-9]/);
  });

  it('parks a payment event its handler throws on, and the payment events after it on that case still make their follow-up', async () => {
    const partner = await api.newPartner(`DeadLetters ${randomUUID().slice(0, 8)}`);
    const c = await api.newCase(partner.id);
    // A well-formed envelope of a known type whose payload lacks the payment: the handler throws.
    const poison = JSON.stringify({
      id: randomUUID(),
      type: 'payment.recorded',
      version: 1,
      occurredAt: new Date().toISOString(),
      producer: 'ledger',
      key: c.id,
      payload: { caseId: c.id, partnerId: partner.id },
    });
    await bus.publish([{ topic: TOPICS.paymentEvents, key: c.id, value: poison }]);
    // The next event of the same case (same key, same partition): a real payment with its commission unpaid.
    const { paymentId } = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-10', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    await pollUntil(
      async () =>
        (await api.expect<{ paymentId: string }[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey })).some((t) => t.paymentId === paymentId),
      { timeoutMs: 30_000, what: 'the follow-up task of the payment after the poison' },
    );

    const parked = await pollUntil(async () => (await deadLetters('?service=follow-up&status=Parked')).find((d) => d.value === poison), {
      timeoutMs: 30_000,
      what: 'the poison payment event parked',
    });
    expect(parked).toMatchObject({ groupId: 'follow-up', topic: TOPICS.paymentEvents, key: c.id, attempts: MAX_ATTEMPTS, status: 'Parked' });
    expect(parked.error).toMatch(/^TypeError: /);
    // Without `service`, the list holds every service's dead letters, each saying whose it is, newest first.
    const all = await deadLetters('?limit=500');
    expect(all.map((d) => d.id)).toContain(parked.id);
    expect(new Set(all.map((d) => d.service)).size).toBeGreaterThanOrEqual(1);
    expect(all.every((d) => d.service === 'follow-up' || d.service === 'case-lifecycle')).toBe(true);
    expect(all.map((d) => d.firstFailedAt)).toEqual([...all.map((d) => d.firstFailedAt)].sort().reverse());
    expect(await deadLetters('?limit=1')).toHaveLength(1);
  });

  it('answers 404 for an unknown dead letter, 400 for a bad query, and keeps the routes the operator’s', async () => {
    const unknown = await api.call<{ businessErrors: { type: string }[]; error: string; message: string }>(
      'POST',
      `/admin/dead-letters/${randomUUID()}/retry`,
      { key: ADMIN },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'NotFound', businessErrors: [{ type: 'NotFound' }] });
    expect((await api.call('POST', '/admin/dead-letters/not-a-uuid/retry', { key: ADMIN })).status).toBe(404);
    expect((await api.call('GET', '/admin/dead-letters?service=ledger', { key: ADMIN })).status).toBe(400);
    expect((await api.call('GET', '/admin/dead-letters?limit=0', { key: ADMIN })).status).toBe(400);
    const partner = await api.newPartner(`DeadLetters auth ${randomUUID().slice(0, 8)}`);
    expect((await api.call('GET', '/admin/dead-letters', { key: partner.apiKey })).status).toBe(403);
    expect((await api.call('POST', `/admin/dead-letters/${randomUUID()}/retry`, { key: partner.apiKey })).status).toBe(403);
    expect((await api.call('GET', '/admin/dead-letters')).status).toBe(401);
  });
});
