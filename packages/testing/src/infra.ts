// Real PostgreSQL and Kafka for tests and the local stack. With a container runtime, Testcontainers
// starts them; without one (our CI machines), the local PostgreSQL on 127.0.0.1:5432 gets a fresh
// database and a KRaft broker is started from the official Kafka jars (tools/kafka).
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import pg from 'pg';

export interface Infra {
  readonly mode: 'testcontainers' | 'local';
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  /** Stops the broker and starts it again on the same address with its data (a fault for tests). */
  restartKafka(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalKafka {
  brokers: string;
  /** with `security: 'sasl_ssl'`: the test CA and client certificate files, and the one user (tools/kafka/sasl-ssl.js) */
  security?: LocalKafkaSecurity;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  restart(): Promise<LocalKafka>;
}

export interface LocalKafkaSecurity {
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  username: string;
  password: string;
  mechanisms: ('plain' | 'scram-sha-256' | 'scram-sha-512')[];
}

export interface LocalKafkaOptions {
  /** fixes the broker's address (e.g. one a process already points at, to start it late) */
  port?: number;
  /** a SASL_SSL listener instead of PLAINTEXT (certificates made at start with openssl) */
  security?: 'sasl_ssl';
  /** with 'sasl_ssl': 'required' makes the broker demand a client certificate */
  clientAuth?: 'none' | 'required';
}

const repoRoot = path.resolve(__dirname, '../../..');

async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A KRaft broker from the jars (tools/kafka/local-kafka.js). */
export async function startLocalKafka(log: (line: string) => void = () => undefined, options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS tool shared with the shell scripts
  const tool = require(path.join(repoRoot, 'tools/kafka/local-kafka.js')) as {
    startLocalKafka(o: LocalKafkaOptions & { log?: (l: string) => void }): Promise<LocalKafka>;
  };
  return tool.startLocalKafka({ log, ...options });
}

export async function provisionInfra(log: (line: string) => void = () => undefined): Promise<Infra> {
  if (await containerRuntimeAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const { KafkaContainer } = await import('@testcontainers/kafka');
    log('container runtime found: starting PostgreSQL and Kafka with Testcontainers');
    const [postgres, kafka] = await Promise.all([
      new PostgreSqlContainer('postgres:16-alpine').start(),
      new KafkaContainer('confluentinc/cp-kafka:7.6.1').withKraft().start(),
    ]);
    return {
      mode: 'testcontainers',
      databaseUrl: postgres.getConnectionUri(),
      kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      restartKafka: async () => {
        await kafka.restart();
      },
      stop: async () => {
        await Promise.all([postgres.stop(), kafka.stop()]);
      },
    };
  }
  log('no container runtime: using the local PostgreSQL and a Kafka broker from the official jars');
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `pp_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const [databaseUrl, first] = await Promise.all([createDatabase(adminUrl, name), startLocalKafka(log)]);
  let kafka = first;
  return {
    mode: 'local',
    databaseUrl,
    kafkaBrokers: kafka.brokers,
    restartKafka: async () => {
      kafka = await kafka.restart();
    },
    stop: async () => {
      await kafka.stop();
      await dropDatabase(adminUrl, name).catch(() => undefined);
    },
  };
}
