// Issue 15, PostgreSQL least privilege, end to end: a fresh database with an owner role and a runtime
// role. The four services start as the runtime role with DB_MIGRATE_AT_START=false before anything is
// migrated, and wait; each service's migrate command (its Kubernetes Job) then runs as the owner and
// grants the runtime role; the stack becomes ready and a payment recorded over REST reaches every
// consumer (case-lifecycle's webhook, follow-up's task). The runtime role cannot change any schema.
import { PassThrough } from 'node:stream';
import * as readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '@pp/platform';
import { Api, createTwoRoleDatabase, pollUntil, runMigrateJobs, startStack, WebhookSink, type RunningStack, type TwoRoleDatabase } from '@pp/testing';

const ADMIN = 'least-privilege-admin-key';
const SCHEMAS = { ledger: 'payments', cases: 'cases', followup: 'tasks', gateway: 'partners' } as const;

let roles: TwoRoleDatabase;
let stack: RunningStack | undefined;
let runtime: Db;
const receiver = new WebhookSink();
const lines: string[] = [];

beforeAll(async () => {
  roles = await createTwoRoleDatabase(inject('databaseUrl'), 'pp_lp');
  runtime = createDb({ kind: 'pg', url: roles.runtimeUrl, poolMax: 2 });
  await receiver.start();
  const output = new PassThrough();
  readline.createInterface({ input: output }).on('line', (line) => lines.push(line));
  const starting = startStack({
    databaseUrl: roles.runtimeUrl,
    kafkaBrokers: inject('kafkaBrokers'),
    env: { ADMIN_API_KEY: ADMIN, DB_MIGRATE_AT_START: 'false', WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' },
    output,
  });
  starting.catch(() => undefined); // awaited below; a failure before then must not be unhandled
  // Nothing is migrated yet: the ledger waits for its Job (logged), it does not exit.
  await pollUntil(async () => lines.some((l) => l.includes('waiting for PostgreSQL (ledger schema migrated by its migrate Job)')), {
    timeoutMs: 60_000,
    what: 'the ledger waiting for its migrate Job',
  });
  await runMigrateJobs({ databaseUrl: roles.runtimeUrl, migrationDatabaseUrl: roles.ownerUrl });
  stack = await starting;
});

afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
  await runtime?.destroy();
  await roles?.drop();
});

describe('the stack as a runtime role with DML only', () => {
  it('records a payment and its asynchronous effects reach every consumer', async () => {
    const api = new Api(stack!.gatewayUrl, ADMIN);
    const partner = await api.newPartner('Least Privilege Agency');
    await api.expect(201, 'POST', '/webhooks', { key: partner.apiKey, body: { url: receiver.url('/hook'), events: ['payment.created'] } });
    const c = await api.newCase(partner.id);
    const payment = await api.expect<{ paymentId: string }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'Creditor', commissionPaymentStatus: 'Unpaid' },
      headers: { 'Idempotency-Key': 'least-privilege-1' },
    });
    // case-lifecycle consumed the ledger's event and delivered the webhook (webhook-delivery consumer, attempts logged)
    await pollUntil(async () => receiver.received.some((w) => w.body.includes(payment.paymentId)), { timeoutMs: 20_000, what: 'the payment.created webhook' });
    const [delivery] = await api.expect<{ id: string; deliveredAt: string | null }[]>(200, 'GET', `/webhooks/events?caseId=${c.id}`, { key: partner.apiKey });
    await pollUntil(async () => (await api.expect<unknown[]>(200, 'GET', `/webhooks/events/${delivery!.id}/attempts`, { key: partner.apiKey })).length > 0, {
      what: 'the recorded attempt',
    });
    // follow-up consumed it and opened the unpaid-commission task
    await pollUntil(async () => (await api.expect<{ paymentId: string }[]>(200, 'GET', `/tasks?caseId=${c.id}`, { key: partner.apiKey })).length === 1, {
      timeoutMs: 20_000,
      what: 'the follow-up task',
    });
    expect((await api.expect<Record<string, unknown>>(200, 'GET', `/cases/${c.id}`, { key: partner.apiKey })).totalPayments).toBe(100);
  });

  it.each(Object.entries(SCHEMAS))('cannot CREATE, ALTER, DROP or TRUNCATE in schema %s', async (schema, table) => {
    const refusal = async (sql: string) => {
      try {
        await runtime.raw(sql);
        return 'allowed';
      } catch (error) {
        return (error as { code?: string }).code; // 42501: insufficient_privilege ("permission denied", "must be owner")
      }
    };
    expect(await runtime.raw(`SELECT 1 FROM ${schema}.${table} LIMIT 1`)).toBeTruthy(); // it is the right role: it reads
    expect(await refusal(`CREATE TABLE ${schema}.intruder (id int)`)).toBe('42501');
    expect(await refusal(`ALTER TABLE ${schema}.${table} ADD COLUMN intruder int`)).toBe('42501');
    expect(await refusal(`DROP TABLE ${schema}.${table}`)).toBe('42501');
    expect(await refusal(`TRUNCATE ${schema}.${table}`)).toBe('42501');
    expect(await refusal(`DELETE FROM ${schema}.knex_migrations`)).toBe('42501');
  });
});
