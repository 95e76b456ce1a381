// Issue 16: when the platform disables a webhook subscription (a 410, or every attempt failed for
// WEBHOOK_DISABLE_AFTER consecutive events), the partner's office address gets one e-mail saying which
// endpoint, why, and how to re-enable it. The distributed stack on real PostgreSQL and Kafka, a real
// webhook receiver and a real SMTP server on loopback; a redelivered notice sends no second mail.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { Api, MailSink, pollUntil, startStack, type RunningStack, type SunkMail } from '@pp/testing';
import { WebhookReceiver } from './webhook-receiver';

const ADMIN = 'test-admin-key';
let stack: RunningStack;
let api: Api;
let db: Db;
const receiver = new WebhookReceiver();
const sink = new MailSink();

beforeAll(async () => {
  await Promise.all([receiver.start(), sink.start()]);
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
  stack = await startStack({
    databaseUrl: inject('databaseUrl'),
    kafkaBrokers: inject('kafkaBrokers'),
    env: {
      ADMIN_API_KEY: ADMIN,
      SMTP_URL: sink.url,
      WEBHOOK_ALLOW_INSECURE: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0s,1s',
      WEBHOOK_DISABLE_AFTER: '1',
    },
  });
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  await stack?.stop();
  await db?.destroy();
  await Promise.all([receiver.stop(), sink.stop()]);
});

/** the message as a reader sees it: folded headers unfolded, quoted-printable soft breaks and escapes undone */
const readable = (m: SunkMail) =>
  m.raw
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
const noticesTo = (address: string) => sink.received.filter((m) => m.to.includes(address) && m.messageId.startsWith('webhook-disabled:'));

/** A partner whose one subscription points at a receiver path answering by `answer`, and a payment that fires an event to it. */
async function disabledBy(name: string, answer: (n: number) => { status: number; body?: string }) {
  const partner = await api.newPartner(name);
  const path = `/notice/${randomUUID()}`;
  receiver.script(path, answer);
  const sub = await api.expect<{ id: string; url: string }>(201, 'POST', '/webhooks', {
    key: partner.apiKey,
    body: { url: receiver.url(path), events: ['payment.created'] },
  });
  const c = await api.newCase(partner.id);
  await api.expect(200, 'POST', `/cases/${c.id}/payments`, {
    key: partner.apiKey,
    body: { date: '2026-11-10', paymentAmount: 10, paymentRecipient: 'CollectionPartner' },
  });
  const mail = await pollUntil(async () => noticesTo(partner.officeEmail)[0], { timeoutMs: 30_000, what: `the notice to ${partner.officeEmail}` });
  return { partner, sub, mail, text: readable(mail) };
}

describe('the notice of a disabled subscription', () => {
  it('410 Gone: one mail to the office address with the URL, the reason and how to re-enable', async () => {
    const { partner, sub, mail, text } = await disabledBy('Gone Notice Agency', () => ({ status: 410 }));
    expect(mail.to).toEqual([partner.officeEmail]);
    expect(text).toContain(`Subject: Webhook subscription disabled: ${sub.url}`);
    expect(text).toContain('410 Gone');
    expect(text).toContain('Last response: HTTP 410');
    expect(text).toContain(`PUT /webhooks/${sub.id}`);
    expect(text).toContain('{"isActive": true}');
    const now = await api.expect<{ isActive: boolean; disabledReason: string }>(200, 'GET', `/webhooks/${sub.id}`, { key: partner.apiKey });
    expect(now).toMatchObject({ isActive: false, disabledReason: 'The endpoint answered 410 Gone' });
    // the partner's own mail log shows it too, belonging to no case
    const log = await api.expect<{ kind: string; to: string; caseId: string | null; paymentId: string | null }[]>(200, 'GET', '/mail', { key: partner.apiKey });
    expect(log).toEqual([expect.objectContaining({ kind: 'webhook-disabled', to: partner.officeEmail, caseId: null, paymentId: null })]);
    // re-enabled as the mail says, it is active again (and no further notice is due)
    await api.expect(200, 'PUT', `/webhooks/${sub.id}`, { key: partner.apiKey, body: { isActive: true } });
    expect(await api.expect<{ isActive: boolean }>(200, 'GET', `/webhooks/${sub.id}`, { key: partner.apiKey })).toMatchObject({ isActive: true });
    expect(noticesTo(partner.officeEmail)).toHaveLength(1);
  });

  it('every attempt failing for WEBHOOK_DISABLE_AFTER events: the mail names the streak and the last error', async () => {
    const { partner, sub, text } = await disabledBy('Failing Notice Agency', () => ({ status: 503, body: 'down for maintenance' }));
    expect(text).toContain('Every delivery attempt failed for 1 consecutive events');
    expect(text).toContain('Last response: HTTP 503');
    expect(text).toContain('Last response body (start): down for maintenance');
    expect(text).not.toContain('Last error:'); // the status says it; a transport error would be named here
    expect(text).toContain(`URL: ${sub.url}`);
    expect(noticesTo(partner.officeEmail)).toHaveLength(1);
    expect(receiver.received.filter((r) => sub.url.endsWith(r.path))).toHaveLength(2); // both attempts of the schedule were made
  });

  it('a redelivered notice sends no second mail', async () => {
    const { partner, sub, mail } = await disabledBy('Redelivered Notice Agency', () => ({ status: 410 }));
    const row = await db
      .withSchema('cases')
      .table('outbox')
      .where({ topic: 'partner-notices', key: sub.id })
      .first<{ id: string; key: string; value: string }>();
    expect(row).toBeDefined();
    // the marker: a later notice on the same key (so the same partition, consumed after the duplicates), to another address
    const marker = `marker-${randomUUID()}@example.test`;
    const envelope = JSON.parse(row!.value) as { id: string; payload: Record<string, unknown> };
    const markerValue = JSON.stringify({ ...envelope, id: randomUUID(), payload: { ...envelope.payload, notifyEmail: marker } });
    const kafka = new Kafka({ clientId: 'notice-redeliver', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'partner-notices',
      messages: [
        { key: row!.key, value: row!.value },
        { key: row!.key, value: row!.value },
        { key: row!.key, value: markerValue },
      ],
    });
    await producer.disconnect();
    await pollUntil(async () => noticesTo(marker).length === 1, { timeoutMs: 30_000, what: 'the marker notice' });
    expect(noticesTo(partner.officeEmail).map((m) => m.messageId)).toEqual([mail.messageId]);
  });
});
