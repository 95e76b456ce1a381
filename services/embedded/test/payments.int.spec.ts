// The embedded default as `npm start` runs it (one process: PGlite on its worker thread, the in-process
// bus, services calling each other in-process), end to end through the REST API: concurrent payments
// with Idempotency-Keys and their replays, the balance, the signed webhook per payment, the follow-up
// task and e-mail per owed commission, a correction and a delete; then hostile input (the short fuzz).
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, MailSink, pollUntil, runFuzz, startEmbedded, WebhookSink, type RunningEmbedded } from '@pp/testing';

const ADMIN = 'embedded-admin-key';
const hooks = new WebhookSink();
const mail = new MailSink();
let embedded: RunningEmbedded;
let api: Api;

beforeAll(async () => {
  await Promise.all([hooks.start(), mail.start()]);
  embedded = await startEmbedded({
    env: { ADMIN_API_KEY: ADMIN, SMTP_URL: mail.url, WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '100000000' },
  });
  api = new Api(embedded.url, ADMIN);
});

afterAll(async () => {
  await embedded?.stop();
  await Promise.all([hooks.stop(), mail.stop()]);
});

const signed = (secret: string, h: Record<string, string>, body: string) =>
  (h['webhook-signature'] ?? '').split(' ').includes(
    `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
      .update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`)
      .digest('base64')}`,
  );

describe('the payment path on the embedded default', () => {
  it('records concurrent payments exactly once, with their balance, webhooks, follow-up tasks and e-mails', async () => {
    const partner = await api.newPartner('Embedded Agency');
    const key = partner.apiKey;
    const hook = await api.expect<{ secret: string }>(201, 'POST', '/webhooks', { key, body: { url: hooks.url('/embedded'), events: ['payment.created'] } });
    const cases = await Promise.all([1, 2, 3, 4].map(() => api.newCase(partner.id, { grossAmount: 100_000 })));
    // 40 payments, 10 per case, all at once; every fourth one leaves the commission owed by the creditor
    const payments = Array.from({ length: 40 }, (_, i) => ({
      caseId: cases[i % 4]!.id,
      idempotencyKey: `embedded-${i}`,
      body:
        i % 4 === 0
          ? { date: '2026-11-01', paymentAmount: 10 + i, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' }
          : { date: '2026-11-01', paymentAmount: 10 + i, paymentRecipient: 'CollectionPartner' },
    }));
    const send = (p: (typeof payments)[number]) =>
      api.call<{ paymentId: string }>('POST', `/cases/${p.caseId}/payments`, { key, body: p.body, headers: { 'Idempotency-Key': p.idempotencyKey } });
    const first = await Promise.all(payments.map(send));
    expect(first.map((r) => r.status)).toEqual(payments.map(() => 200));
    // a retry of each answers the same payment and says it is a replay
    const again = await Promise.all(payments.map(send));
    expect(again.map((r) => r.body.paymentId)).toEqual(first.map((r) => r.body.paymentId));
    expect(again.every((r) => r.headers.get('idempotency-replayed') === 'true')).toBe(true);

    for (const [n, c] of cases.entries()) {
      const mine = payments.filter((p) => p.caseId === c.id);
      const total = mine.reduce((sum, p) => sum + p.body.paymentAmount, 0);
      expect(await api.expect(200, 'GET', `/cases/${c.id}`, { key }), `case ${n}`).toMatchObject({ totalPayments: total, remainder: 100_000 - total });
      expect(await api.expect<unknown[]>(200, 'GET', `/cases/${c.id}/payments`, { key })).toHaveLength(mine.length);
    }

    // one signed payment.created per payment, none twice
    await pollUntil(async () => hooks.received.filter((w) => w.path === '/embedded').length >= 40, { timeoutMs: 30_000, what: '40 webhooks' });
    const delivered = hooks.received.filter((w) => w.path === '/embedded');
    expect(delivered.every((w) => signed(hook.secret, w.headers, w.body))).toBe(true);
    const paid = delivered.map((w) => (JSON.parse(w.body) as { data: { payment: { id: string } } }).data.payment.id).sort();
    expect(paid).toEqual(first.map((r) => r.body.paymentId).sort());

    // one follow-up task per owed commission, and its e-mail to the creditor
    const owed = payments.filter((p) => p.body.paymentRecipient === 'Creditor');
    await pollUntil(
      async () => (await Promise.all(cases.map((c) => api.expect<unknown[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key })))).flat().length === owed.length,
      {
        timeoutMs: 30_000,
        what: `${owed.length} follow-up tasks`,
      },
    );
    await pollUntil(async () => mail.received.length >= owed.length, { timeoutMs: 30_000, what: `${owed.length} e-mails` });

    // a correction and a delete keep the balance right
    const c0 = cases[0]!.id;
    const [p0, p1] = first.filter((_, i) => payments[i]!.caseId === c0).map((r) => r.body.paymentId);
    const before = await api.expect<{ totalPayments: number }>(200, 'GET', `/cases/${c0}`, { key });
    const corrected = payments.find((_, i) => first[i]!.body.paymentId === p1)!.body;
    await api.expect(200, 'PUT', `/cases/${c0}/payments/${p1}`, { key, body: { ...corrected, paymentAmount: corrected.paymentAmount + 5 } });
    const removed = payments.find((_, i) => first[i]!.body.paymentId === p0)!.body;
    await api.expect(204, 'DELETE', `/cases/${c0}/payments/${p0}`, { key });
    expect(await api.expect(200, 'GET', `/cases/${c0}`, { key })).toMatchObject({ totalPayments: before.totalPayments + 5 - removed.paymentAmount });
  }, 120_000);
});

describe('hostile input on the embedded default', () => {
  it('no 5xx, hang, partial write, admin bypass, off-contract error body or foreign-id leak', async () => {
    const report = await runFuzz({
      baseUrl: embedded.url,
      adminKey: ADMIN,
      mode: 'embedded',
      seed: 2,
      requests: 300,
      timeLimitMs: 90_000,
      requestTimeoutMs: 10_000,
      webhookUrl: hooks.url('/fuzz'),
      log: () => undefined,
    });
    console.log(report.lines.join('\n'));
    expect(report.sent).toBeGreaterThan(0);
    expect(report.findings.map((f) => `[${f.kind}] #${f.n} ${f.method} ${f.path.slice(0, 200)} → ${f.status}: ${f.detail}`)).toEqual([]);
  }, 150_000);
});
