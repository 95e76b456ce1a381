// SPEC §5 end to end: the distributed stack on real PostgreSQL and Kafka, mail through a real SMTP
// server on loopback. Every path of the follow-up, then the faults of issue 4.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { Api, pollUntil, startStack, type RunningStack } from '@pp/testing';
import { MailCatcher } from './mail-server';

const ADMIN = 'test-admin-key';

interface Task {
  id: string;
  type: string;
  status: string;
  caseId: string;
  paymentId: string;
  amountOwed: number;
  currency: string;
  dueAt: string;
  reminderCount: number;
  createdAt: string;
  completedAt: string | null;
}

let db: Db;
const mail = new MailCatcher();

beforeAll(async () => {
  db = createDb({ kind: 'pg', url: inject('databaseUrl') });
  await mail.start();
});

afterAll(async () => {
  await mail.stop();
  await db?.destroy();
});

function setup(env: Record<string, string>) {
  const ctx = { stack: undefined as unknown as RunningStack, api: undefined as unknown as Api };
  beforeAll(async () => {
    ctx.stack = await startStack({
      databaseUrl: inject('databaseUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      env: { ADMIN_API_KEY: ADMIN, SMTP_URL: mail.url, ...env },
    });
    ctx.api = new Api(ctx.stack.gatewayUrl, ADMIN);
  });
  afterAll(async () => {
    await ctx.stack?.stop();
  });
  return ctx;
}

async function tasksOf(api: Api, key: string, paymentId: string): Promise<Task[]> {
  const all = await api.expect<Task[]>(200, 'GET', `/tasks`, { key });
  return all.filter((t) => t.paymentId === paymentId);
}

const unpaid = (amount: number, extra: Record<string, unknown> = {}) => ({
  date: '2026-11-10',
  paymentAmount: amount,
  paymentRecipient: 'Creditor',
  commissionPaymentStatus: 'Unpaid',
  ...extra,
});

async function recordUnpaid(api: Api, key: string, caseId: string, amount: number, extra: Record<string, unknown> = {}): Promise<string> {
  const body = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${caseId}/payments`, { key, body: unpaid(amount, extra) });
  return body.paymentId;
}

/** Waits until the follow-up service has applied every payment event of this payment so far. */
async function drained(paymentId: string, events: number): Promise<void> {
  await pollUntil(
    async () => {
      const [row] = await db
        .withSchema('ledger')
        .table('outbox')
        .whereRaw(`value::jsonb #>> '{payload,payment,id}' = ?`, [paymentId])
        .count<{ count: string }[]>({ count: '*' });
      if (Number(row?.count) < events) return false;
      const ids = (await db.withSchema('ledger').table('outbox').whereRaw(`value::jsonb #>> '{payload,payment,id}' = ?`, [paymentId]).select('id')).map(
        (r: { id: string }) => r.id,
      );
      const applied = await db
        .withSchema('followup')
        .table('inbox')
        .where('consumer', 'follow-up')
        .whereIn('event_id', ids)
        .count<{ count: string }[]>({ count: '*' });
      return Number(applied[0]?.count) === ids.length;
    },
    { timeoutMs: 15_000, what: `follow-up applied ${events} events of ${paymentId}` },
  );
}

describe('follow-up with the default delays (P14D, P7D)', () => {
  const s = setup({});

  it('starts on Creditor + Unpaid: an email with amount, currency and reference to the officeEmail, and one InvoiceClient task', async () => {
    const partner = await s.api.newPartner('Mailed Agency');
    const c = await s.api.newCase(partner.id, { grossAmount: 1000, successFee: 25.05 });
    const before = Date.now();
    const paymentId = await recordUnpaid(s.api, partner.apiKey, c.id, 200);
    const [task] = await pollUntil(
      async () => {
        const t = await tasksOf(s.api, partner.apiKey, paymentId);
        return t.length > 0 && t;
      },
      { what: 'InvoiceClient task' },
    );
    expect(task).toMatchObject({
      type: 'InvoiceClient',
      status: 'Open',
      caseId: c.id,
      paymentId,
      amountOwed: 50.1,
      currency: 'EUR',
      reminderCount: 0,
      completedAt: null,
    });
    const due = Date.parse(task!.dueAt) - Date.parse(task!.createdAt);
    expect(due).toBe(14 * 86_400_000);
    expect(Date.parse(task!.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    const [email] = await pollUntil(async () => mail.about(paymentId).length > 0 && mail.about(paymentId), { what: 'follow-up email' });
    expect(email!.to).toEqual([partner.officeEmail]);
    expect(email!.text).toContain('EUR 50.10');
    expect(email!.text).toContain(c.reference);
    expect(email!.subject).toContain(c.reference);
    // filters of GET /tasks
    expect(await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}&status=Open`, { key: partner.apiKey })).toHaveLength(1);
    expect(await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}&status=Completed`, { key: partner.apiKey })).toHaveLength(0);
    // another partner sees none of it
    const other = await s.api.newPartner('Other Agency');
    expect(await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: other.apiKey })).toEqual([]);
  });

  it('completes on commission settlement and cancels on delete or when an edit leaves nothing owed', async () => {
    const partner = await s.api.newPartner('Settling Agency');
    const c = await s.api.newCase(partner.id, { grossAmount: 5000 });
    const settled = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    const deleted = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    const edited = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    await pollUntil(async () => (await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey })).length === 3, {
      what: 'three tasks',
    });
    await s.api.expect(200, 'POST', `/cases/${c.id}/payments/${settled}/commission`, { key: partner.apiKey, body: { status: 'Paid' } });
    await s.api.expect(204, 'DELETE', `/cases/${c.id}/payments/${deleted}`, { key: partner.apiKey });
    await s.api.expect(200, 'PUT', `/cases/${c.id}/payments/${edited}`, {
      key: partner.apiKey,
      body: { date: '2026-11-10', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Paid' },
    });
    const statusOf = async (id: string) => (await tasksOf(s.api, partner.apiKey, id))[0]?.status;
    await pollUntil(
      async () => (await statusOf(settled)) === 'Completed' && (await statusOf(deleted)) === 'Cancelled' && (await statusOf(edited)) === 'Cancelled',
      { what: 'Completed / Cancelled' },
    );
    const completed = (await tasksOf(s.api, partner.apiKey, settled))[0]!;
    expect(completed.completedAt).not.toBeNull();
  });

  it('updates amountOwed on an edited amount and starts when an edit makes a payment Creditor + Unpaid', async () => {
    const partner = await s.api.newPartner('Editing Agency');
    const c = await s.api.newCase(partner.id, { grossAmount: 5000, successFee: 10 });
    const p1 = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    await pollUntil(async () => (await tasksOf(s.api, partner.apiKey, p1)).length === 1, { what: 'task' });
    await s.api.expect(200, 'PUT', `/cases/${c.id}/payments/${p1}`, {
      key: partner.apiKey,
      body: { date: '2026-11-10', paymentAmount: 300, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    await pollUntil(async () => (await tasksOf(s.api, partner.apiKey, p1))[0]?.amountOwed === 30, { what: 'amountOwed 30' });

    const p2 = (
      await s.api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
        key: partner.apiKey,
        body: { date: '2026-11-10', paymentAmount: 50, paymentRecipient: 'CollectionPartner' },
      })
    ).paymentId;
    await drained(p2, 1);
    expect(await tasksOf(s.api, partner.apiKey, p2)).toEqual([]);
    await s.api.expect(200, 'PUT', `/cases/${c.id}/payments/${p2}`, {
      key: partner.apiKey,
      body: { date: '2026-11-10', paymentAmount: 50, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
    });
    const [task] = await pollUntil(
      async () => {
        const t = await tasksOf(s.api, partner.apiKey, p2);
        return t.length > 0 && t;
      },
      { what: 'task started by the edit' },
    );
    expect(task).toMatchObject({ type: 'InvoiceClient', status: 'Open', amountOwed: 5 });
    await pollUntil(async () => mail.about(p2).length === 1, { what: 'email of the edit' });
  });

  it('is suppressed by createUnpaidCommissionFollowUp: false and never starts on a test case', async () => {
    const partner = await s.api.newPartner('Quiet Agency');
    const prod = await s.api.newCase(partner.id);
    const test = await s.api.newCase(partner.id, { isTestCase: true });
    const suppressed = await recordUnpaid(s.api, partner.apiKey, prod.id, 100, { createUnpaidCommissionFollowUp: false });
    const onTest = await recordUnpaid(s.api, partner.apiKey, test.id, 100);
    await drained(suppressed, 1);
    await drained(onTest, 1);
    expect(await tasksOf(s.api, partner.apiKey, suppressed)).toEqual([]);
    expect(await tasksOf(s.api, partner.apiKey, onTest)).toEqual([]);
    expect(mail.about(suppressed)).toEqual([]);
    expect(mail.about(onTest)).toEqual([]);
    // the payments and payouts are recorded as usual
    const list = await s.api.expect<{ id: string; payoutCollectionPartner: number }[]>(200, 'GET', `/cases/${prod.id}/payments`, { key: partner.apiKey });
    expect(list.map((p) => p.id)).toEqual([suppressed]);
    expect(list[0]!.payoutCollectionPartner).toBe(20);
  });

  it('applies a redelivered payment event once: one task, one email', async () => {
    const partner = await s.api.newPartner('Redelivered Agency');
    const c = await s.api.newCase(partner.id);
    const paymentId = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    await drained(paymentId, 1);
    await pollUntil(async () => mail.about(paymentId).length === 1, { what: 'first email' });
    const row = await db
      .withSchema('ledger')
      .table('outbox')
      .whereRaw(`value::jsonb #>> '{payload,payment,id}' = ?`, [paymentId])
      .first<{ id: string; key: string; value: string }>();
    const kafka = new Kafka({ clientId: 'redeliver', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'payment-events',
      messages: [
        { key: row!.key, value: row!.value, headers: { 'event-id': row!.id } },
        { key: row!.key, value: row!.value },
      ],
    });
    await producer.disconnect();
    // a later event on the same case (same partition) proves the duplicates were consumed before it
    const marker = await recordUnpaid(s.api, partner.apiKey, c.id, 1);
    await drained(marker, 1);
    expect(await tasksOf(s.api, partner.apiKey, paymentId)).toHaveLength(1);
    await pollUntil(async () => mail.about(marker).length === 1, { what: 'marker email' });
    expect(mail.about(paymentId)).toHaveLength(1);
  });
});

describe('escalation, reminders and faults (PT2S chase, PT1S reminders)', () => {
  const s = setup({ FOLLOW_UP_CHASE_AFTER: 'PT2S', FOLLOW_UP_REMINDER_INTERVAL: 'PT1S' });

  const emailKinds = (paymentId: string) =>
    mail
      .about(paymentId)
      .map((m) =>
        m.subject.startsWith('Commission owed') ? 'invoice' : m.subject.startsWith('Chase') ? 'chase' : m.subject.startsWith('Reminder') ? 'reminder' : 'other',
      );

  async function settle(api: Api, key: string, caseId: string, paymentId: string) {
    await api.expect(200, 'POST', `/cases/${caseId}/payments/${paymentId}/commission`, { key, body: { status: 'Paid' } });
  }

  it('escalates at dueAt, sends the chase email and a reminder every interval, and stops on settlement', async () => {
    const partner = await s.api.newPartner('Chased Agency');
    const c = await s.api.newCase(partner.id);
    const paymentId = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    const chased = await pollUntil(
      async () => {
        const t = await tasksOf(s.api, partner.apiKey, paymentId);
        const chase = t.find((x) => x.type === 'ChaseClient');
        return chase && chase.reminderCount >= 2 && t;
      },
      { timeoutMs: 20_000, what: 'escalation and two reminders' },
    );
    expect(chased.find((t) => t.type === 'InvoiceClient')).toMatchObject({ status: 'Escalated' });
    expect(chased.filter((t) => t.type === 'ChaseClient')).toHaveLength(1);
    await settle(s.api, partner.apiKey, c.id, paymentId);
    const done = await pollUntil(
      async () => {
        const t = await tasksOf(s.api, partner.apiKey, paymentId);
        return t.find((x) => x.type === 'ChaseClient')?.status === 'Completed' && t;
      },
      { what: 'ChaseClient completed' },
    );
    expect(done.find((t) => t.type === 'InvoiceClient')?.status).toBe('Escalated');
    const count = done.find((t) => t.type === 'ChaseClient')!.reminderCount;
    // the next reminder timer still fires, and is inert: no mail after settlement
    await pollUntil(async () => (await db.withSchema('followup').table('timers').where('payment_id', paymentId).whereNull('fired_at')).length === 0, {
      timeoutMs: 10_000,
      what: 'pending timers fired',
    });
    await pollUntil(
      async () => {
        const rows = await db
          .withSchema('followup')
          .table('inbox')
          .where('consumer', 'follow-up-timers')
          .whereIn('event_id', db.withSchema('followup').table('timers').where('payment_id', paymentId).select(db.raw('id::text')));
        const timers = await db.withSchema('followup').table('timers').where('payment_id', paymentId);
        return rows.length === timers.length;
      },
      { what: 'fired timers applied' },
    );
    await pollUntil(async () => (await db.withSchema('followup').table('emails').where('payment_id', paymentId).whereNull('sent_at')).length === 0, {
      what: 'mail queue drained',
    });
    const kinds = emailKinds(paymentId);
    expect(kinds.filter((k) => k === 'invoice')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'chase')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'reminder')).toHaveLength(count);
    expect((await tasksOf(s.api, partner.apiKey, paymentId)).find((t) => t.type === 'ChaseClient')!.reminderCount).toBe(count);
  });

  it('loses nothing while SMTP refuses connections, and sends one email per step once it is back', async () => {
    const partner = await s.api.newPartner('Offline Agency');
    const c = await s.api.newCase(partner.id);
    await mail.stop();
    const paymentId = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    // the follow-up goes on without mail: task, escalation, chase task
    await pollUntil(async () => (await tasksOf(s.api, partner.apiKey, paymentId)).some((t) => t.type === 'ChaseClient'), {
      timeoutMs: 20_000,
      what: 'escalation without SMTP',
    });
    await pollUntil(async () => (await db.withSchema('followup').table('emails').where('payment_id', paymentId).whereNotNull('last_error')).length >= 1, {
      what: 'a failed send',
    });
    await mail.start(mail.port);
    await settle(s.api, partner.apiKey, c.id, paymentId);
    await pollUntil(async () => (await tasksOf(s.api, partner.apiKey, paymentId)).some((t) => t.status === 'Completed'), { what: 'completed' });
    await pollUntil(async () => (await db.withSchema('followup').table('emails').where('payment_id', paymentId).whereNull('sent_at')).length === 0, {
      timeoutMs: 40_000,
      what: 'queued mail sent after SMTP came back',
    });
    const queued = await db.withSchema('followup').table('emails').where('payment_id', paymentId).select('step_id');
    const received = mail.about(paymentId);
    expect(received).toHaveLength(queued.length);
    expect(new Set(received.map((m) => m.messageId)).size).toBe(received.length);
    expect(emailKinds(paymentId).filter((k) => k === 'invoice')).toHaveLength(1);
  });

  it('a follow-up process killed between claiming a timer and publishing it leaves one escalation', async () => {
    const partner = await s.api.newPartner('Crashing Agency');
    const c = await s.api.newCase(partner.id);
    const paymentId = await recordUnpaid(s.api, partner.apiKey, c.id, 100);
    await pollUntil(async () => (await db.withSchema('followup').table('timers').where('payment_id', paymentId)).length === 1, {
      what: 'escalation timer scheduled',
    });
    await pollUntil(async () => mail.about(paymentId).length === 1, { what: 'invoice email sent before the crash' });
    // no other timer is due, so the first timer transaction of the next replica claims this one
    await pollUntil(
      async () =>
        (await db.withSchema('followup').table('timers').whereNull('fired_at').where('due_at', '<=', new Date()).whereNot('payment_id', paymentId)).length ===
        0,
      { what: 'no other due timer' },
    );
    await s.stack.kill('follow-up');
    // this replica dies inside its first timer transaction: claimed, not committed
    const doomed = await s.stack.spawnReplica('follow-up', { PP_FAULT_INJECTION: 'exit-before-timer-commit' });
    expect(await doomed.exited).toBe(137);
    const [timer] = await db.withSchema('followup').table('timers').where('payment_id', paymentId);
    expect(timer).toMatchObject({ fired_at: null });
    expect(mail.about(paymentId).filter((m) => m.subject.startsWith('Chase'))).toEqual([]);
    await s.stack.restart('follow-up');
    const tasks = await pollUntil(
      async () => {
        const t = await tasksOf(s.api, partner.apiKey, paymentId);
        return t.some((x) => x.type === 'ChaseClient') && t;
      },
      { timeoutMs: 20_000, what: 'escalation after the crash' },
    );
    expect(tasks.filter((t) => t.type === 'InvoiceClient')).toHaveLength(1);
    expect(tasks.filter((t) => t.type === 'ChaseClient')).toHaveLength(1);
    await settle(s.api, partner.apiKey, c.id, paymentId);
    await pollUntil(
      async () =>
        (await db.withSchema('followup').table('emails').where('payment_id', paymentId).whereNull('sent_at')).length === 0 && mail.about(paymentId).length >= 2,
      { timeoutMs: 20_000, what: 'mail sent' },
    );
    expect(emailKinds(paymentId).filter((k) => k === 'chase')).toHaveLength(1);
    expect(emailKinds(paymentId).filter((k) => k === 'invoice')).toHaveLength(1);
  });

  it('two follow-up processes at once: one task per step and one email per step', async () => {
    const partner = await s.api.newPartner('Replicated Agency');
    const c = await s.api.newCase(partner.id, { grossAmount: 100_000 });
    const second = await s.stack.spawnReplica('follow-up');
    const payments: string[] = [];
    for (let i = 0; i < 10; i++) payments.push(await recordUnpaid(s.api, partner.apiKey, c.id, 10 + i));
    await pollUntil(
      async () => {
        const tasks = await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey });
        return payments.every((p) => tasks.some((t) => t.paymentId === p && t.type === 'ChaseClient' && t.reminderCount >= 1));
      },
      { timeoutMs: 30_000, what: 'every payment escalated and reminded once' },
    );
    for (const p of payments) await settle(s.api, partner.apiKey, c.id, p);
    await second.kill('SIGTERM');
    await pollUntil(
      async () => (await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}&status=Completed`, { key: partner.apiKey })).length === payments.length,
      { what: 'all completed' },
    );
    await pollUntil(async () => (await db.withSchema('followup').table('emails').where('case_id', c.id).whereNull('sent_at')).length === 0, {
      timeoutMs: 20_000,
      what: 'mail drained',
    });
    const tasks = await s.api.expect<Task[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey });
    for (const p of payments) {
      expect(tasks.filter((t) => t.paymentId === p && t.type === 'InvoiceClient')).toHaveLength(1);
      expect(tasks.filter((t) => t.paymentId === p && t.type === 'ChaseClient')).toHaveLength(1);
      const received = mail.about(p);
      const steps = await db.withSchema('followup').table('emails').where('payment_id', p);
      expect(received).toHaveLength(steps.length);
      expect(new Set(received.map((m) => m.messageId)).size).toBe(received.length);
    }
  });
});
