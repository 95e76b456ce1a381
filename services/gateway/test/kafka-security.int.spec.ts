// Issue 15, Kafka security: the four processes on a broker whose only client listener is SASL_SSL
// (tools/kafka in its sasl_ssl mode: a test CA, certificates made at start with openssl, a client
// certificate required, SCRAM credentials). A payment recorded through REST reaches case-lifecycle
// over Kafka; each SASL mechanism authenticates for real; a wrong password stops a service at start
// with a message naming the variables instead of a retry loop. The plaintext path is every other test.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, createLogger, KafkaBus, kafkaSecurityFrom, type Db, type KafkaSaslMechanism } from '@pp/platform';
import { Api, createDatabase, dropDatabase, pollUntil, startLocalKafka, startStack, type LocalKafka, type RunningStack } from '@pp/testing';

const ADMIN = 'test-admin-key';
let kafka: LocalKafka;
let stack: RunningStack;
let db: Db;
let api: Api;
const cleanups: (() => Promise<unknown>)[] = [];

/** The environment of a process on the test broker (README "Kafka security"). */
function securityEnv(mechanism: KafkaSaslMechanism): Record<string, string> {
  const s = kafka.security!;
  return {
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: s.caFile,
    KAFKA_SSL_CERT_FILE: s.clientCertFile,
    KAFKA_SSL_KEY_FILE: s.clientKeyFile,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: s.username,
    KAFKA_SASL_PASSWORD: s.password,
  };
}

beforeAll(async () => {
  // A database of its own: the stack's outbox and consumers see only this test's events.
  const adminUrl = new URL(inject('databaseUrl'));
  adminUrl.pathname = '/postgres';
  const dbName = `pp_kafka_sasl_${randomBytes(4).toString('hex')}`;
  const [broker, databaseUrl] = await Promise.all([
    startLocalKafka(() => undefined, { security: 'sasl_ssl', clientAuth: 'required' }),
    createDatabase(adminUrl.toString(), dbName),
  ]);
  kafka = broker;
  cleanups.push(
    () => kafka.stop(),
    () => dropDatabase(adminUrl.toString(), dbName),
  );
  stack = await startStack({ databaseUrl, kafkaBrokers: kafka.brokers, env: { ADMIN_API_KEY: ADMIN, ...securityEnv('scram-sha-512') } });
  cleanups.unshift(() => stack.stop());
  db = createDb({ kind: 'pg', url: databaseUrl });
  cleanups.unshift(() => db.destroy());
  api = new Api(stack.gatewayUrl, ADMIN);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

describe('Kafka over SASL_SSL', () => {
  it('records a payment through the stack and its event reaches case-lifecycle over the SASL_SSL listener', async () => {
    const partner = await api.newPartner('Secure Partner');
    const c = await api.newCase(partner.id);
    const payment = await api.expect<{ paymentId: string; remainingAmount: number }>(200, 'POST', `/cases/${c.id}/payments`, {
      key: partner.apiKey,
      body: { date: '2026-11-01', paymentAmount: 100, paymentRecipient: 'CollectionPartner' },
    });
    expect(payment.remainingAmount).toBe(900);
    // ledger outbox → Kafka (SCRAM-SHA-512 over TLS with a client certificate) → the case-lifecycle consumer
    await pollUntil(async () => (await db.withSchema('cases').table('case_events').where({ case_id: c.id, type: 'payment.created' })).length === 1, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'payment.created consumed by case-lifecycle',
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('authenticates with %s', async (mechanism) => {
    const env = securityEnv(mechanism);
    const security = kafkaSecurityFrom({ ...env, KAFKA_SSL: true, KAFKA_SASL_MECHANISM: mechanism });
    const bus = new KafkaBus({ brokers: [kafka.brokers], clientId: `sasl-${mechanism}`, logger: createLogger('test', 'silent'), security });
    try {
      await bus.ensureTopics([{ name: 'kafka-security-check', partitions: 1 }]);
      expect(await bus.healthy()).toBe(true);
    } finally {
      await bus.close();
    }
  });

  it('stops a service at start when the broker refuses its password, naming the variables', async () => {
    // The stack's launcher rejects as soon as the process exits before it is ready, with its stderr.
    const started = stack.spawnReplica('ledger', { KAFKA_SASL_PASSWORD: 'not-the-password' });
    const error = await started.then(
      async (replica) => {
        await replica.kill();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^ledger exited with 1 before it was ready: ledger failed to start: Kafka refused the SASL authentication/);
    expect(error?.message).toMatch(/scram-sha-512, user "pptest".*Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    expect(error?.message).not.toContain('not-the-password');
  });
});
