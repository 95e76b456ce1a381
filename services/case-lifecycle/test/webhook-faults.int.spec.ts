// Issue 5, faults: a delivery worker killed mid-delivery and the Kafka broker restarted during a burst
// of 1,000 events. Every event is delivered at least once; duplicates share their webhook-id.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '@pp/platform';
import { Api, pollUntil, startStack, type RunningStack } from '@pp/testing';
import { WebhookReceiver } from './webhook-receiver';

const ADMIN = 'test-admin-key';
let stack: RunningStack;
let api: Api;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: {
      ADMIN_API_KEY: ADMIN,
      WEBHOOK_ALLOW_INSECURE: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
      RATE_LIMIT_PER_MINUTE: '100000',
    },
  });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
});

async function subscribe(key: string, path: string) {
  return api.expect<{ id: string; secret: string }>(201, 'POST', '/webhooks', { key, body: { url: receiver.url(path), events: ['payment.created'] } });
}

const pay = (key: string, caseId: string, amount = 1) =>
  api.expect<{ paymentId: string }>(200, 'POST', `/cases/${caseId}/payments`, {
    key,
    body: { date: '2026-11-01', paymentAmount: amount, paymentRecipient: 'Platform' },
  });

describe('webhook delivery under faults', () => {
  it('a delivery worker killed mid-delivery: the event is delivered after the restart, with the same webhook-id', async () => {
    const partner = await api.newPartner('Killed Worker');
    await subscribe(partner.apiKey, '/killed');
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    // the first request hangs until the worker is dead; later ones succeed
    receiver.script('/killed', () => ({ status: 200 }));
    const c = await api.newCase(partner.id);
    const hang = receiver.hold('/killed', held);
    const { paymentId } = await pay(partner.apiKey, c.id);
    await hang; // the worker is inside the POST now
    await stack.kill('case-lifecycle', 'SIGKILL');
    release!();
    await stack.restart('case-lifecycle');
    const got = await pollUntil(async () => receiver.at('/killed').length >= 2 && receiver.at('/killed'), {
      timeoutMs: 40_000,
      what: 'redelivery after the crash',
    });
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(got.every((r) => r.json.data.payment?.id === paymentId)).toBe(true);
    const log = await pollUntil(
      async () => {
        const l = await api.expect<{ deliveredAt: string | null }[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
        return l[0]?.deliveredAt ? l : undefined;
      },
      { what: 'delivered in the log' },
    );
    expect(log).toHaveLength(1);
  });

  it('the Kafka broker restarted during a burst of 1,000 events: every event arrives', async () => {
    const partner = await api.newPartner('Burst Agency');
    await subscribe(partner.apiKey, '/burst');
    const cases = await Promise.all(Array.from({ length: 20 }, () => api.newCase(partner.id, { grossAmount: 1_000_000 })));
    const paid: string[] = [];
    let restart: Promise<Response> | undefined;
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        const i = next++;
        if (i === 300) restart = fetch(`${inject('infraControlUrl')}/kafka/restart`, { method: 'POST' });
        paid.push((await pay(partner.apiKey, cases[i % cases.length]!.id)).paymentId);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 16 }, worker));
    console.log(`1,000 payments recorded in ${Date.now() - started} ms`);
    expect((await restart)?.status).toBe(204);
    expect(paid).toHaveLength(1000);
    const byPayment = await pollUntil(
      async () => {
        const seen = new Map<string, Set<string>>();
        for (const r of receiver.at('/burst')) {
          const id = r.json.data.payment?.id ?? '';
          seen.set(id, (seen.get(id) ?? new Set()).add(r.headers['webhook-id']!));
        }
        return paid.every((p) => seen.has(p)) && seen;
      },
      {
        timeoutMs: 180_000,
        intervalMs: 250,
        what: `all 1,000 events at the receiver (${new Set(receiver.at('/burst').map((r) => r.json.data.payment?.id)).size} so far)`,
      },
    );
    console.log(`all 1,000 webhooks received ${Date.now() - started} ms after the first payment`);
    expect(byPayment.size).toBe(1000);
    // at-least-once: a duplicate carries the same webhook-id as the first delivery
    for (const ids of byPayment.values()) expect(ids.size).toBe(1);
  }, 300_000);

  it('the ledger announces the balance of accounts from before the remainder copy existed, and the copy fills (GET /cases?Sort=remainder)', async () => {
    const partner = await api.newPartner('Backfill Agency');
    const [a, b] = [await api.newCase(partner.id), await api.newCase(partner.id)];
    await pay(partner.apiKey, a.id, 3);
    const db = createDb({ kind: 'pg', url: inject('databaseUrl'), poolMax: 1 });
    try {
      const copies = () =>
        db
          .withSchema('cases')
          .table('cases')
          .where('partner_id', partner.id)
          .orderBy('id')
          .select<{ id: string; remainder: string | null }[]>('id', 'remainder');
      const expected = async () =>
        (await Promise.all([a, b].map((c) => api.expect<{ id: string; remainder: number }>(200, 'GET', `/cases/${c.id}`, { key: partner.apiKey }))))
          .map((c) => ({ id: c.id, remainder: c.remainder }))
          .sort((x, y) => x.id.localeCompare(y.id));
      const want = await expected();
      await pollUntil(async () => JSON.stringify((await copies()).map((r) => ({ id: r.id, remainder: Number(r.remainder) }))) === JSON.stringify(want), {
        what: 'the copies from the events',
      });
      // as a database from before the column was filled
      // (case-lifecycle never asks the ledger: the ledger announces the accounts its migration marked)
      await db.withSchema('cases').table('cases').where('partner_id', partner.id).update({ remainder: null, remainder_at: null });
      await db.withSchema('ledger').table('accounts').where('partner_id', partner.id).update({ balance_announced: false });
      await stack.kill('ledger', 'SIGTERM');
      await stack.restart('ledger');
      const filled = await pollUntil(
        async () => {
          const rows = await copies();
          return rows.every((r) => r.remainder !== null) && rows;
        },
        { timeoutMs: 30_000, what: 'the announced balances' },
      );
      expect(filled.map((r) => ({ id: r.id, remainder: Number(r.remainder) }))).toEqual(want);
      const listed = await api.expect<{ cases: { id: string }[] }>(200, 'GET', '/cases?Sort=remainder', { key: partner.apiKey });
      expect(listed.cases.map((c) => c.id)).toEqual([...want].sort((x, y) => x.remainder - y.remainder).map((c) => c.id));
    } finally {
      await db.destroy();
    }
  });
});
