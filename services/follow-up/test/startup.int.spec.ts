// Issue 11, item 7: a service never exits for a dependency that is merely late. The follow-up process is
// started against a database that does not exist yet and a Kafka address where no broker runs yet: it
// binds gRPC, announces `{"listening"}`, reports NOT_SERVING (calls answer UNAVAILABLE) and keeps
// retrying, with log lines; once the database exists and a broker is started on that address, it
// migrates, creates its topics, joins its consumer groups, announces `{"ready"}`, turns SERVING and
// consumes a payment event. Then the broker is restarted under it: its consumers come back by themselves.
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { service as healthService } from 'grpc-health-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeEnvelope, TOPICS } from '@pp/events';
import { createGrpcClient, createLogger, KafkaBus, type GrpcClient } from '@pp/platform';
import { protos, type FollowUpDefinition } from '@pp/proto';
import { createDatabase, dropDatabase, pollUntil, startLocalKafka, type LocalKafka } from '@pp/testing';

type Line = Record<string, unknown> & { msg?: string };

const HealthClient = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');

function health(port: number, service = ''): Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
    check(req: { service: string }, options: { deadline: Date }, cb: (e: Error | null, r: { status: string | number }) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.check({ service }, { deadline: new Date(Date.now() + 3_000) }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(String(response.status));
    }),
  );
}
const SERVING = /^(SERVING|1)$/;
const NOT_SERVING = /^(NOT_SERVING|2)$/;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The follow-up process from its build, its stdout lines (markers and JSON logs) kept for the test. */
function startFollowUpProcess(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Line);
    } catch {
      lines.push({ msg: line });
    }
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Rejects as soon as the process exits: every wait below races it, so an exit fails the test at once.
  const died = exited.then((code) => Promise.reject(new Error(`follow-up exited with ${code}: ${stderr.join('').slice(-2000)}`)));
  died.catch(() => undefined);
  // On a timeout the error carries the process's last log lines (the connection-refused noise left out).
  const tail = () =>
    lines
      .filter((l) => !/ECONNREFUSED/.test(JSON.stringify(l)))
      .slice(-30)
      .map((l) => JSON.stringify(l).slice(0, 400))
      .join('\n');
  const untilLine = (predicate: (l: Line) => boolean, what: string, timeoutMs: number) =>
    Promise.race([
      pollUntil(async () => lines.find(predicate), { timeoutMs, intervalMs: 100, what }).catch((error: unknown) =>
        Promise.reject(new Error(`${String(error)}\nlast log lines of follow-up:\n${tail()}`)),
      ),
      died,
    ]);
  return {
    untilLine,
    child,
    lines,
    stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function paymentRecorded(partnerId: string, caseId: string, paymentId: string) {
  const now = new Date().toISOString();
  return makeEnvelope(
    'payment.recorded',
    caseId,
    {
      caseId,
      partnerId,
      reference: 'STARTUP1',
      isTest: false,
      currency: 'EUR',
      notifyEmail: 'partner@example.test',
      remainder: '50000',
      createFollowUp: true,
      payment: {
        id: paymentId,
        date: '2026-11-10',
        amount: '10000',
        recipient: 'Creditor',
        commissionStatus: 'Unpaid',
        payoutCreditor: '8000',
        payoutCollectionPartner: '2000',
        platformFee: '800',
        invoiceId: null,
        createdAt: now,
        updatedAt: now,
      },
    },
    { id: randomUUID(), occurredAt: new Date(), producer: 'ledger' },
  );
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('a service whose dependencies are late', () => {
  // The broker that comes late is one more KRaft broker from the jars (the local mode's tool); with
  // Testcontainers the shared broker runs in a container and this machine may have no Java.
  it.skipIf(inject('infraMode') !== 'local')(
    'waits, not ready and alive, for its database and Kafka; becomes ready when they come; survives a broker restart',
    async () => {
      const adminUrl = new URL(inject('databaseUrl'));
      adminUrl.pathname = '/postgres';
      const dbName = `pp_startup_${Date.now()}_${randomBytes(3).toString('hex')}`;
      const databaseUrl = new URL(adminUrl);
      databaseUrl.pathname = `/${dbName}`;
      const kafkaPort = await freePort();
      const brokers = `127.0.0.1:${kafkaPort}`;

      // 1. Neither the database nor a broker exists: the process binds, says so, and is not ready.
      const proc = startFollowUpProcess({
        DATABASE_URL: databaseUrl.toString(),
        KAFKA_BROKERS: brokers,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        DATA_DIR: path.join(os.tmpdir(), `pp-startup-${process.pid}-${Date.now()}`),
        CONSUMER_RETRY_BACKOFF_MS: '10',
      });
      cleanups.push(() => proc.stop());
      const listening = await proc.untilLine((l) => l.listening === 'follow-up', 'the listening marker', 30_000);
      const grpcPort = Number(listening.grpcPort);
      expect(await health(grpcPort)).toMatch(NOT_SERVING);
      expect(await health(grpcPort, 'liveness')).toMatch(SERVING);
      const client: GrpcClient<FollowUpDefinition> = createGrpcClient(protos().followUp.followup.v1.FollowUp.service, `127.0.0.1:${grpcPort}`, {
        deadlineMs: 5_000,
      });
      cleanups.push(async () => client.close());
      await expect(client.ListTasks({ partnerId: randomUUID(), caseId: '', status: '' })).rejects.toMatchObject({ type: 'ServiceUnavailable' });

      // It retries the database with backoff, logging each failed attempt, and does not exit.
      await proc.untilLine(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('waiting for PostgreSQL (follow-up migrations): attempt 2 failed'),
        'logged database retries',
        30_000,
      );
      expect(proc.alive()).toBe(true);

      // 2. The database comes: it migrates, then waits for Kafka; still not ready, still alive.
      await createDatabase(adminUrl.toString(), dbName);
      cleanups.push(() => dropDatabase(adminUrl.toString(), dbName));
      await proc.untilLine(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('PostgreSQL (follow-up migrations): ready after'),
        'the migrations after the database came',
        60_000,
      );
      expect(proc.lines.some((l) => l.ready !== undefined)).toBe(false);
      expect(await health(grpcPort)).toMatch(NOT_SERVING);
      expect(proc.alive()).toBe(true);

      // 3. A broker comes up on the address the process was given: topics, group joins, ready.
      let kafka: LocalKafka = await startLocalKafka(() => undefined, { port: kafkaPort });
      cleanups.push(() => kafka.stop());
      const ready = await proc.untilLine((l) => l.ready === 'follow-up', 'the ready marker', 120_000);
      expect(Number(ready.grpcPort)).toBe(grpcPort);
      await pollUntil(async () => SERVING.test(await health(grpcPort)), { timeoutMs: 10_000, what: 'SERVING' });

      // 4. It works: a payment event on the late broker is consumed (an unpaid commission → a task).
      const bus = new KafkaBus({ brokers: [brokers], clientId: 'startup-test', logger: createLogger('startup-test', 'silent') });
      cleanups.push(() => bus.close());
      const partnerId = randomUUID();
      const caseId = randomUUID();
      const consumed = async (paymentId: string) => {
        const event = paymentRecorded(partnerId, caseId, paymentId);
        // the publisher's own producer may need a new connection after a broker restart: publish until accepted
        await pollUntil(
          async () =>
            bus.publish([{ topic: TOPICS.paymentEvents, key: caseId, value: JSON.stringify(event), headers: { 'event-id': event.id } }]).then(() => true),
          { timeoutMs: 60_000, intervalMs: 500, what: 'the event published' },
        );
        await pollUntil(
          async () =>
            (await client.ListTasks({ partnerId, caseId: '', status: '' })).tasks.some((t) => t.paymentId === paymentId && t.type === 'InvoiceClient'),
          { timeoutMs: 60_000, intervalMs: 200, what: `the task of payment ${paymentId}` },
        );
      };
      await consumed(randomUUID());

      // 5. The broker goes away and comes back at run time: the consumers come back by themselves.
      kafka = await kafka.restart();
      await consumed(randomUUID());
      expect(proc.alive()).toBe(true);
      expect(await health(grpcPort)).toMatch(SERVING);
    },
    240_000,
  );
});
