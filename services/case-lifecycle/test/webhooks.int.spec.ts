// SPEC §6 end to end: the distributed stack on real PostgreSQL and Kafka delivering to real HTTP
// receivers on loopback (WEBHOOK_ALLOW_INSECURE / WEBHOOK_ALLOW_PRIVATE on, as for local use).
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Api, pollUntil, startStack, type RunningStack } from '@pp/testing';
import { WebhookReceiver, type Received } from './webhook-receiver';

const ADMIN = 'test-admin-key';
const ALL = ['case.updated', 'case.closed', 'payment.created', 'payment.updated', 'payment.deleted'];
let stack: RunningStack;
let api: Api;
const receiver = new WebhookReceiver();
let pathSeq = 0;

interface Subscription {
  id: string;
  url: string;
  events: string[];
  isActive: boolean;
  isTestMode: boolean;
  createdUtc: string;
  updatedUtc: string;
  disabledReason: string | null;
  secret?: string;
}

interface EventLogEntry {
  id: string;
  subscriptionId: string;
  caseId: string;
  eventType: string;
  payload: string;
  createdAt: string;
  deliveredAt: string | null;
  attemptCount: number;
  lastResponseCode: number | null;
  lastError: string | null;
}

beforeAll(async () => {
  await receiver.start();
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: {
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_INSECURE: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0s,1s,2s',
      WEBHOOK_DISABLE_AFTER: '2',
    },
  });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
});

async function subscribe(key: string, events: string[] = ALL, extra: Record<string, unknown> = {}): Promise<Subscription & { path: string; secret: string }> {
  const path = `/hook/${++pathSeq}`;
  const sub = await api.expect<Subscription & { secret: string }>(201, 'POST', '/webhooks', { key, body: { url: receiver.url(path), events, ...extra } });
  return { ...sub, path };
}

function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': r.headers['webhook-id']!,
    'webhook-timestamp': r.headers['webhook-timestamp']!,
    'webhook-signature': r.headers['webhook-signature']!,
  });
}

const types = (rs: Received[]) => rs.map((r) => r.json.event);

describe('subscriptions', () => {
  it('creates with a whsec_ secret shown once, lists, reads, changes, regenerates and deletes', async () => {
    const partner = await api.newPartner('Hooked Agency');
    const other = await api.newPartner('Nosy Agency');
    const created = await subscribe(partner.apiKey, ['payment.created']);
    expect(created).toMatchObject({ events: ['payment.created'], isActive: true, isTestMode: false, disabledReason: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const got = await api.expect<Subscription>(200, 'GET', `/webhooks/${created.id}`, { key: partner.apiKey });
    expect(got).not.toHaveProperty('secret');
    expect(got.url).toBe(created.url);
    expect((await api.expect<Subscription[]>(200, 'GET', '/webhooks', { key: partner.apiKey })).map((s) => s.id)).toEqual([created.id]);
    expect(await api.expect<Subscription[]>(200, 'GET', '/webhooks', { key: other.apiKey })).toEqual([]);
    expect((await api.call('GET', `/webhooks/${created.id}`, { key: other.apiKey })).status).toBe(404);
    const changed = await api.expect<Subscription>(200, 'PUT', `/webhooks/${created.id}`, {
      key: partner.apiKey,
      body: { events: ['payment.created', 'case.closed'], regenerateSecret: true },
    });
    expect(changed.events).toEqual(['payment.created', 'case.closed']);
    expect(changed.secret).toMatch(/^whsec_/);
    expect(changed.secret).not.toBe(created.secret);
    const unknown = await api.call('POST', '/webhooks', { key: partner.apiKey, body: { url: receiver.url('/x'), events: ['payment.exploded'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ businessErrors: [{ type: 'ValidationError', field: 'events' }] });
    expect((await api.call('DELETE', `/webhooks/${created.id}`, { key: other.apiKey })).status).toBe(404);
    expect((await api.call('DELETE', `/webhooks/${created.id}`, { key: partner.apiKey })).status).toBe(204);
    expect((await api.call('GET', `/webhooks/${created.id}`, { key: partner.apiKey })).status).toBe(404);
  });

  it('replays POST /webhooks by Idempotency-Key', async () => {
    const partner = await api.newPartner('Idempotent Hooks');
    const body = { url: receiver.url('/idem'), events: ['case.closed'] };
    const first = await api.call<Subscription>('POST', '/webhooks', { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'hook-1' } });
    const again = await api.call<Subscription>('POST', '/webhooks', { key: partner.apiKey, body, headers: { 'Idempotency-Key': 'hook-1' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await api.expect<Subscription[]>(200, 'GET', '/webhooks', { key: partner.apiKey })).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('sends every event type once per matching subscription, signed, routed by classification both ways', async () => {
    const partner = await api.newPartner('Routed Agency');
    const prod = await subscribe(partner.apiKey);
    const onlyCreated = await subscribe(partner.apiKey, ['payment.created']);
    const test = await subscribe(partner.apiKey, ALL, { isTestMode: true });
    const c = await api.newCase(partner.id, { grossAmount: 100, successFee: 20 });
    const paid = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'CollectionPartner', closeCase: true },
    });
    await api.expect(204, 'DELETE', `/cases/${c.id}/payments/${paid.paymentId}?reopenCaseIfNeeded=true`, { key: partner.apiKey });
    const p2 = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 40, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    await api.expect(200, 'PUT', `/cases/${c.id}/payments/${p2.paymentId}`, {
      key: partner.apiKey,
      body: { date: '2026-11-02', paymentAmount: 50, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    // expected: created, case.updated, case.closed, deleted, case.updated, created, updated = 7
    const got = await pollUntil(async () => receiver.at(prod.path).length >= 7 && receiver.at(prod.path), {
      timeoutMs: 20_000,
      what: '7 events at the production subscription',
    });
    expect(types(got).sort()).toEqual([
      'case.closed',
      'case.updated',
      'case.updated',
      'payment.created',
      'payment.created',
      'payment.deleted',
      'payment.updated',
    ]);
    for (const r of got) {
      expect(verify(prod.secret, r)).toBeTruthy();
      expect(r.headers['webhook-id']).toBe(r.json.id);
      expect(r.json).toMatchObject({ specVersion: '1.0', classification: 'production' });
      expect(r.json.data.caseId).toBe(c.id);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(new Set(got.map((r) => r.json.id)).size).toBe(got.length);
    // per-case sequence: distinct, and increasing along each kind of change
    const seqs = got.map((r) => r.json.data.sequence);
    expect(new Set(seqs).size).toBe(seqs.length);
    const closed = got.find((r) => r.json.event === 'case.closed')!;
    expect(closed.json.data).toMatchObject({ reference: c.reference, closeCode: 'Paid', remainder: 0 });
    const deleted = got.find((r) => r.json.event === 'payment.deleted')!;
    expect(deleted.json.data).toMatchObject({ paymentId: paid.paymentId, paymentAmount: 100 });
    const updated = got.find((r) => r.json.event === 'payment.updated')!;
    expect(updated.json.data.payment).toMatchObject({
      id: p2.paymentId,
      paymentAmount: 50,
      payoutCollectionPartner: 10,
      payoutCreditor: 40,
      commissionPaymentStatus: 'Unpaid',
      currency: 'EUR',
    });
    const created = await pollUntil(async () => receiver.at(onlyCreated.path).length >= 2 && receiver.at(onlyCreated.path), { what: 'payment.created x2' });
    expect(types(created)).toEqual(['payment.created', 'payment.created']);
    for (const r of created) expect(verify(onlyCreated.secret, r)).toBeTruthy();

    // the other way round: a test case's events reach only the test-mode subscription
    const t = await api.newCase(partner.id, { grossAmount: 100, isTestCase: true });
    await api.expect(200, 'POST', `/cases/${t.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'Platform' },
    });
    const testGot = await pollUntil(async () => receiver.at(test.path).length >= 1 && receiver.at(test.path), { what: 'test-mode delivery' });
    expect(testGot[0]!.json).toMatchObject({ event: 'payment.created', classification: 'test', data: { caseId: t.id } });
    expect(verify(test.secret, testGot[0]!)).toBeTruthy();
    // drain: a later production event arrives after the test event, so nothing of the test case went to prod
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-03', paymentAmount: 1, paymentRecipient: 'Platform' },
    });
    await pollUntil(async () => receiver.at(prod.path).length >= 8, { what: 'the marker event' });
    expect(receiver.at(prod.path).filter((r) => r.json.data.caseId === t.id)).toEqual([]);
    expect(receiver.at(test.path).filter((r) => r.json.data.caseId === c.id)).toEqual([]);
    // the event log shows the deliveries, newest first, filtered by case
    const log = await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${t.id}`, { key: partner.apiKey });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      subscriptionId: test.id,
      caseId: t.id,
      eventType: 'payment.created',
      attemptCount: 1,
      lastResponseCode: 204,
      lastError: null,
    });
    expect(JSON.parse(log[0]!.payload)).toMatchObject({ id: log[0]!.id, event: 'payment.created' });
    const other = await api.newPartner('Foreign Reader');
    expect(await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${t.id}`, { key: other.apiKey })).toEqual([]);
  });

  it('the reopen flow of the second seed page: close a test case as Paid, delete with consent, receive payment.deleted and case.updated', async () => {
    const partner = await api.newPartner('Reopening Agency');
    const sub = await subscribe(partner.apiKey, ['payment.deleted', 'case.updated'], { isTestMode: true });
    const c = await api.expect<{ id: string; reference: string }>(200, 'POST', '/managed-cases', {
      key: partner.apiKey,
      body: {
        isTest: true,
        currencyCode: 'EUR',
        amountToRecover: 300,
        date: '2026-11-01',
        creditorCompanyName: 'Creditor AG',
        debtor: { type: 'Person', name: 'Max Muster' },
      },
    });
    expect(await api.expect(200, 'POST', `/test/cases/${c.id}/advance`, { key: partner.apiKey, body: { to: 'Closed:Paid', amount: 300 } })).toMatchObject({
      advanced: true,
    });
    const [payment] = await api.expect<{ id: string }[]>(200, 'GET', `/cases/${c.id}/payments`, { key: partner.apiKey });
    expect((await api.call('DELETE', `/cases/${c.id}/payments/${payment!.id}`, { key: partner.apiKey })).status).toBe(409);
    await api.expect(204, 'DELETE', `/cases/${c.id}/payments/${payment!.id}?reopenCaseIfNeeded=true`, { key: partner.apiKey });
    const got = await pollUntil(
      async () => {
        const rs = receiver.at(sub.path);
        return (
          rs.some((r) => r.json.event === 'payment.deleted') && rs.some((r) => r.json.event === 'case.updated' && r.json.data.newLifecycle === 'Active') && rs
        );
      },
      { timeoutMs: 20_000, what: 'payment.deleted and the reopening case.updated' },
    );
    expect(got.find((r) => r.json.event === 'payment.deleted')!.json.data).toMatchObject({
      caseId: c.id,
      reference: c.reference,
      paymentId: payment!.id,
      paymentAmount: 300,
    });
    expect(got.find((r) => r.json.event === 'case.updated' && r.json.data.newLifecycle === 'Active')!.json.data).toMatchObject({
      caseId: c.id,
      oldLifecycle: 'Closed',
      newLifecycle: 'Active',
      remainder: 300,
    });
    for (const r of got) expect(r.json.classification).toBe('test');
  });

  it('retries a failing receiver at the scheduled times and delivers on the third attempt', async () => {
    const partner = await api.newPartner('Flaky Receiver');
    const sub = await subscribe(partner.apiKey, ['payment.created']);
    receiver.script(sub.path, (n) => (n < 2 ? { status: 500, body: `not yet ${n}` } : { status: 200, body: 'thanks' }));
    const c = await api.newCase(partner.id);
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'Platform' },
    });
    const attempts = await pollUntil(async () => receiver.at(sub.path).length >= 3 && receiver.at(sub.path), { timeoutMs: 20_000, what: 'three attempts' });
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    // schedule 0s,1s,2s: never early (jitter only adds)
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(2000);
    const [entry] = await pollUntil(
      async () => {
        const log = await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
        return log[0]?.deliveredAt ? log : undefined;
      },
      { what: 'delivered in the log' },
    );
    expect(entry).toMatchObject({ attemptCount: 3, lastResponseCode: 200, lastError: null });
    expect(receiver.at(sub.path)).toHaveLength(3);
    // the delivery history (issue 16): every attempt with its answer
    const history = await api.expect<Record<string, unknown>[]>(200, 'GET', `/webhooks/events/${entry!.id}/attempts`, { key: partner.apiKey });
    expect(history).toMatchObject([
      { attempt: 1, responseCode: 500, error: 'HTTP 500', responseBodyExcerpt: 'not yet 0', replay: false },
      { attempt: 2, responseCode: 500, error: 'HTTP 500', responseBodyExcerpt: 'not yet 1', replay: false },
      { attempt: 3, responseCode: 200, error: null, responseBodyExcerpt: 'thanks', replay: false },
    ]);
    for (const a of history) expect(a.durationMs).toEqual(expect.any(Number));
    const other = await api.newPartner('Not The Receiver');
    await api.expect(404, 'GET', `/webhooks/events/${entry!.id}/attempts`, { key: other.apiKey });
    await api.expect(404, 'GET', '/webhooks/events/not-a-uuid/attempts', { key: partner.apiKey });
  });

  it('410 disables at once; exhausted events disable after WEBHOOK_DISABLE_AFTER; isActive: true re-enables', async () => {
    const partner = await api.newPartner('Gone Receiver');
    const gone = await subscribe(partner.apiKey, ['payment.created']);
    receiver.script(gone.path, () => ({ status: 410 }));
    const broken = await subscribe(partner.apiKey, ['payment.created']);
    receiver.script(broken.path, () => ({ status: 500 }));
    // a subscription that always answers 2xx: once it has an event, that event was fanned out
    const witness = await subscribe(partner.apiKey, ['payment.created']);
    const c = await api.newCase(partner.id, { grossAmount: 10_000 });
    const pay = async () =>
      (
        await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
          key: partner.apiKey,
          body: { date: '2026-11-01', paymentAmount: 1, paymentRecipient: 'Platform' },
        })
      ).paymentId;
    const fannedOut = (paymentId: string) =>
      pollUntil(async () => receiver.at(witness.path).some((r) => r.json.data.payment?.id === paymentId), { what: `fan-out of ${paymentId}` });
    await pay();
    const disabledGone = await pollUntil(
      async () => {
        const s = await api.expect<Subscription>(200, 'GET', `/webhooks/${gone.id}`, { key: partner.apiKey });
        return !s.isActive && s;
      },
      { what: 'disabled by 410' },
    );
    expect(disabledGone.disabledReason).toMatch(/410/);
    expect(receiver.at(gone.path)).toHaveLength(1);
    await pay();
    const disabledBroken = await pollUntil(
      async () => {
        const s = await api.expect<Subscription>(200, 'GET', `/webhooks/${broken.id}`, { key: partner.apiKey });
        return !s.isActive && s;
      },
      { timeoutMs: 20_000, what: 'disabled after two exhausted events' },
    );
    expect(disabledBroken.disabledReason).toMatch(/2 consecutive events/);
    // both disablings are counted for the "webhook subscriptions disabled" alert (deploy/components/prometheus-rules)
    const scraped = await (await fetch(`http://127.0.0.1:${stack.metricsPorts['case-lifecycle']}/metrics`)).text();
    expect(scraped).toMatch(/webhook_subscriptions_disabled_total\{[^}]*reason="gone"[^}]*\} [1-9]/);
    expect(scraped).toMatch(/webhook_subscriptions_disabled_total\{[^}]*reason="failing"[^}]*\} [1-9]/);
    expect(receiver.at(broken.path)).toHaveLength(6);
    // a disabled subscription receives nothing of what happens while it is disabled; re-enabled, it does
    receiver.script(broken.path, () => ({ status: 200 }));
    const whileDisabled = await pay();
    await fannedOut(whileDisabled);
    const reenabled = await api.expect<Subscription>(200, 'PUT', `/webhooks/${broken.id}`, { key: partner.apiKey, body: { isActive: true } });
    expect(reenabled).toMatchObject({ isActive: true, disabledReason: null });
    const afterReenabling = await pay();
    await pollUntil(async () => receiver.at(broken.path).some((r) => r.json.data.payment?.id === afterReenabling), { what: 'delivery after re-enabling' });
    expect(receiver.at(broken.path).filter((r) => r.json.data.payment?.id === whileDisabled)).toEqual([]);
    expect(receiver.at(broken.path)).toHaveLength(7);
    expect(receiver.at(gone.path)).toHaveLength(1);
  });

  it('replays an event as a fresh delivery with the same webhook-id and webhook-replay: true', async () => {
    const partner = await api.newPartner('Replaying Agency');
    const sub = await subscribe(partner.apiKey, ['payment.created']);
    const c = await api.newCase(partner.id);
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'Platform' },
    });
    const [first] = await pollUntil(async () => receiver.at(sub.path).length === 1 && receiver.at(sub.path), { what: 'first delivery' });
    const [entry] = await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
    const other = await api.newPartner('Replay Thief');
    expect((await api.call('POST', `/webhooks/events/${entry!.id}/replay`, { key: other.apiKey })).status).toBe(404);
    expect(await api.expect(200, 'POST', `/webhooks/events/${entry!.id}/replay`, { key: partner.apiKey })).toEqual({
      eventId: entry!.id,
      subscriptionId: sub.id,
      eventType: 'payment.created',
    });
    const [, replayed] = await pollUntil(async () => receiver.at(sub.path).length === 2 && receiver.at(sub.path), { what: 'replayed delivery' });
    expect(replayed!.headers['webhook-replay']).toBe('true');
    expect(replayed!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(replayed!.body).toBe(first!.body);
    expect(verify(sub.secret, replayed!)).toBeTruthy();
    const [after] = await pollUntil(
      async () => {
        const log = await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
        return log[0]?.attemptCount === 1 && log[0].deliveredAt ? log : undefined;
      },
      { what: 'replay recorded as attempt 1' },
    );
    expect(after!.lastResponseCode).toBe(204);
  });

  it('follows no redirect: a 3xx is a failed attempt and the Location is never requested', async () => {
    const partner = await api.newPartner('Redirecting Receiver');
    const sub = await subscribe(partner.apiKey, ['payment.created']);
    const target = `/redirect-target/${pathSeq}`;
    receiver.script(sub.path, () => ({ status: 302, headers: { location: receiver.url(target) } }));
    const c = await api.newCase(partner.id);
    await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 10, paymentRecipient: 'Platform' },
    });
    const [entry] = await pollUntil(
      async () => {
        const log = await api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
        return log[0]?.attemptCount === 3 && log;
      },
      { timeoutMs: 20_000, what: 'three failed attempts' },
    );
    expect(entry).toMatchObject({ deliveredAt: null, lastResponseCode: 302 });
    expect(receiver.at(target)).toEqual([]);
  });
});

describe('webhook testing (SPEC §10)', () => {
  const managedCase = async (key: string) =>
    api.expect<{ id: string; reference: string }>(200, 'POST', '/managed-cases', {
      key,
      body: {
        isTest: true,
        currencyCode: 'EUR',
        amountToRecover: 300,
        date: '2026-11-01',
        creditorCompanyName: 'Creditor AG',
        debtor: { type: 'Person', name: 'Max Muster' },
        tag: 'webhook-testing',
      },
    });
  const fire = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    api.call<Record<string, unknown>>('POST', '/test/webhooks/fire', { key, body, headers });
  const log = (key: string, caseId: string) => api.expect<EventLogEntry[]>(200, 'GET', `/webhooks/events?caseId=${caseId}`, { key });

  /** Standard Webhooks, checked by hand: v1 = base64 HMAC-SHA256 of `id.timestamp.body` keyed with the secret after whsec_. */
  function signedBy(secret: string, r: Received): boolean {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest('base64');
    return (r.headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`);
  }

  it('POST /test/webhooks/fire: a real, signed, logged event to the matching active test-mode subscriptions only', async () => {
    const partner = await api.newPartner('Firing Agency');
    const all = await subscribe(partner.apiKey, ALL, { isTestMode: true });
    const closedOnly = await subscribe(partner.apiKey, ['case.closed'], { isTestMode: true });
    const production = await subscribe(partner.apiKey, ALL);
    const disabled = await subscribe(partner.apiKey, ALL, { isTestMode: true });
    await api.expect(200, 'PUT', `/webhooks/${disabled.id}`, { key: partner.apiKey, body: { isActive: false } });
    const c = await managedCase(partner.apiKey);

    const fired = await fire(partner.apiKey, { event: 'case.updated', caseId: c.id });
    expect(fired).toMatchObject({ status: 200, body: { eventType: 'case.updated', caseId: c.id, enqueuedCount: 1 } });
    // queued in the fire's transaction: the log already holds exactly the one delivery
    const [entry, ...rest] = await log(partner.apiKey, c.id);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ subscriptionId: all.id, caseId: c.id, eventType: 'case.updated' });
    const [got] = await pollUntil(async () => receiver.at(all.path).length >= 1 && receiver.at(all.path), { what: 'the fired case.updated' });
    expect(signedBy(all.secret, got!)).toBe(true);
    expect(signedBy(closedOnly.secret, got!)).toBe(false);
    expect(verify(all.secret, got!)).toBeTruthy();
    expect(got!.headers['webhook-id']).toBe(entry!.id);
    expect(got!.headers['webhook-replay']).toBeUndefined();
    expect(got!.body).toBe(entry!.payload);
    expect(got!.json).toMatchObject({ id: entry!.id, specVersion: '1.0', event: 'case.updated', classification: 'test' });
    expect(got!.json.data).toEqual({ caseId: c.id, reference: c.reference, oldLifecycle: 'Active', newLifecycle: 'Active', remainder: 300, sequence: 1 });
    const delivered = await pollUntil(async () => (await log(partner.apiKey, c.id)).find((e) => e.deliveredAt), {
      what: 'the fired event delivered in the log',
    });
    expect(delivered).toMatchObject({ id: entry!.id, attemptCount: 1, lastResponseCode: 204 });

    // one named subscription: a test-mode one that takes the event gets it; one that does not, or is disabled, gets nothing
    expect((await fire(partner.apiKey, { event: 'case.updated', caseId: c.id, subscriptionId: all.id })).body).toMatchObject({ enqueuedCount: 1 });
    expect((await fire(partner.apiKey, { event: 'case.updated', caseId: c.id, subscriptionId: closedOnly.id })).body).toMatchObject({ enqueuedCount: 0 });
    expect((await fire(partner.apiKey, { event: 'case.updated', caseId: c.id, subscriptionId: disabled.id })).body).toMatchObject({ enqueuedCount: 0 });
    const notTestMode = await fire(partner.apiKey, { event: 'case.updated', caseId: c.id, subscriptionId: production.id });
    expect(notTestMode).toMatchObject({ status: 400, body: { error: 'ValidationError', businessErrors: [{ field: 'subscriptionId' }] } });
    const other = await api.newPartner('Firing Neighbour');
    const foreignHook = await subscribe(other.apiKey, ALL, { isTestMode: true });
    for (const subscriptionId of [foreignHook.id, '00000000-0000-4000-8000-000000000000']) {
      expect(await fire(partner.apiKey, { event: 'case.updated', caseId: c.id, subscriptionId })).toMatchObject({
        status: 404,
        body: { error: 'WebhookNotFound' },
      });
    }
    // the case: a foreign or unknown one is 404, a production one 400; an unknown event 400
    const foreignCase = await managedCase(other.apiKey);
    for (const caseId of [foreignCase.id, '00000000-0000-4000-8000-000000000000']) {
      expect(await fire(partner.apiKey, { event: 'case.updated', caseId })).toMatchObject({ status: 404, body: { error: 'CaseNotFound' } });
    }
    const prodCase = await api.newCase(partner.id);
    expect(await fire(partner.apiKey, { event: 'case.updated', caseId: prodCase.id })).toMatchObject({
      status: 400,
      body: { error: 'ValidationError', businessErrors: [{ field: 'caseId' }] },
    });
    expect(await fire(partner.apiKey, { event: 'case.opened', caseId: c.id })).toMatchObject({ status: 400, body: { businessErrors: [{ field: 'event' }] } });
    // nothing to build the event from yet
    for (const event of ['case.closed', 'payment.created', 'payment.updated', 'payment.deleted']) {
      expect(await fire(partner.apiKey, { event, caseId: c.id }), event).toMatchObject({ status: 422, body: { error: 'EventDataMissing' } });
    }
    // so far: two fired events reached `all`, nothing reached anyone else
    expect((await log(partner.apiKey, c.id)).map((e) => e.subscriptionId)).toEqual([all.id, all.id]);

    // an Idempotency-Key makes a retried fire safe: the stored answer, nothing queued again
    const once = await fire(partner.apiKey, { event: 'case.updated', caseId: c.id }, { 'Idempotency-Key': 'fire-1' });
    const again = await fire(partner.apiKey, { event: 'case.updated', caseId: c.id }, { 'Idempotency-Key': 'fire-1' });
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toEqual(once.body);
    expect(await log(partner.apiKey, c.id)).toHaveLength(3);

    // the case closed and a payment on it: each type carries the case as it is now
    await api.expect(200, 'POST', `/test/cases/${c.id}/advance`, { key: partner.apiKey, body: { to: 'Closed:Paid', amount: 300 } });
    const [payment] = await api.expect<{ id: string }[]>(200, 'GET', `/cases/${c.id}/payments`, { key: partner.apiKey });
    expect((await fire(partner.apiKey, { event: 'case.closed', caseId: c.id, subscriptionId: closedOnly.id })).body).toMatchObject({ enqueuedCount: 1 });
    expect((await fire(partner.apiKey, { event: 'payment.created', caseId: c.id })).body).toMatchObject({ enqueuedCount: 1 });
    // the real events of the close and the fired ones carry the same data (only the sequence differs)
    const closes = await pollUntil(
      async () => {
        const rs = receiver.at(closedOnly.path).filter((r) => r.json.data.caseId === c.id);
        return rs.length >= 2 && rs;
      },
      { what: 'the real and the fired case.closed' },
    );
    for (const r of closes) {
      expect(signedBy(closedOnly.secret, r)).toBe(true);
      expect(r.json).toMatchObject({
        event: 'case.closed',
        classification: 'test',
        data: { caseId: c.id, reference: c.reference, closeCode: 'Paid', comment: null, remainder: 0 },
      });
    }
    const payments = await pollUntil(
      async () => {
        const rs = receiver.at(all.path).filter((r) => r.json.event === 'payment.created' && r.json.data.caseId === c.id);
        return rs.length >= 2 && rs;
      },
      { what: 'the real and the fired payment.created' },
    );
    for (const r of payments) {
      expect(signedBy(all.secret, r)).toBe(true);
      expect(r.json.data.payment).toMatchObject({ id: payment!.id, paymentAmount: 300, currency: 'EUR' });
    }
    // nothing of the test case at the production subscription or the disabled one, in the log or at the receiver
    const subscriptionsLogged = new Set((await log(partner.apiKey, c.id)).map((e) => e.subscriptionId));
    expect([...subscriptionsLogged].sort()).toEqual([all.id, closedOnly.id].sort());
    expect(receiver.at(production.path)).toEqual([]);
    expect(receiver.at(disabled.path)).toEqual([]);
  });

  it('POST /test/cases/{id}/replay-last-event: the newest event again with the same webhook-id; none yet → 404 EventNotFound', async () => {
    const partner = await api.newPartner('Replay-last Agency');
    const sub = await subscribe(partner.apiKey, ALL, { isTestMode: true });
    const c = await managedCase(partner.apiKey);
    const none = await api.call('POST', `/test/cases/${c.id}/replay-last-event`, { key: partner.apiKey });
    expect(none).toMatchObject({ status: 404, body: { error: 'EventNotFound' } });
    const other = await api.newPartner('Replay-last Neighbour');
    expect(await api.call('POST', `/test/cases/${c.id}/replay-last-event`, { key: other.apiKey })).toMatchObject({
      status: 404,
      body: { error: 'CaseNotFound' },
    });
    expect(await api.call('POST', '/test/cases/not-a-uuid/replay-last-event', { key: partner.apiKey })).toMatchObject({
      status: 404,
      body: { error: 'CaseNotFound' },
    });
    const prodCase = await api.newCase(partner.id);
    expect(await api.call('POST', `/test/cases/${prodCase.id}/replay-last-event`, { key: partner.apiKey })).toMatchObject({
      status: 400,
      body: { error: 'ValidationError', businessErrors: [{ field: 'id' }] },
    });

    await api.expect(200, 'POST', '/test/webhooks/fire', { key: partner.apiKey, body: { event: 'case.updated', caseId: c.id } });
    const [first] = await pollUntil(async () => receiver.at(sub.path).length === 1 && receiver.at(sub.path), { what: 'the first delivery' });
    const [newest] = await log(partner.apiKey, c.id);
    expect(await api.expect(200, 'POST', `/test/cases/${c.id}/replay-last-event`, { key: partner.apiKey })).toEqual({
      eventId: newest!.id,
      subscriptionId: sub.id,
      eventType: 'case.updated',
    });
    const [, replayed] = await pollUntil(async () => receiver.at(sub.path).length === 2 && receiver.at(sub.path), { what: 'the replayed delivery' });
    expect(replayed!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(replayed!.headers['webhook-replay']).toBe('true');
    expect(replayed!.body).toBe(first!.body);
    expect(signedBy(sub.secret, replayed!)).toBe(true);
    expect(await log(partner.apiKey, c.id)).toHaveLength(1);
  });
});
