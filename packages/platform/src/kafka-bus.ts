// MessageBus on Apache Kafka (kafkajs): idempotent producer, consumer groups, offsets committed only
// after the handler succeeded or the dead-letter guard parked the message (at-least-once; handlers are
// idempotent through their inbox). A consumer that cannot start (broker, topic or group not ready yet)
// or that crashes for good is started again, with backoff and a log line per attempt, until it runs.
import { Kafka, logLevel, type Admin, type Consumer, type Producer, type SASLOptions } from 'kafkajs';
import { describeKafkaSecurity, explainKafkaError, type KafkaSecurity } from './kafka-security';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { IncomingMessage, MessageBus, OutgoingMessage, SubscribeOptions, Subscription } from './messaging';
import { retryUntilDone, RetryStopped } from './retry';
import { traceConsumer } from './tracing';

/** How long one attempt may take to start a consumer and join its group (a dead member's session must expire first). */
const ATTEMPT_TIMEOUT_MS = 60_000;
/** How long one attempt may take to create the topics and see a leader for every partition. */
const TOPICS_TIMEOUT_MS = 60_000;
/** A consumer torn down after a failed attempt must not hold up the next one. */
const DISCONNECT_TIMEOUT_MS = 15_000;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** kafkajs types each mechanism's options apart: a union it can tell apart needs one branch per mechanism. */
function saslOptions({ mechanism, username, password }: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  if (mechanism === 'plain') return { mechanism, username, password };
  return mechanism === 'scram-sha-256' ? { mechanism, username, password } : { mechanism, username, password };
}

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** TLS and SASL (./kafka-security); none: plaintext without authentication */
  readonly security?: KafkaSecurity;
}

export class KafkaBus implements MessageBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly consumers = new Set<Consumer>();
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    const log = options.logger.child({ component: 'kafkajs' });
    const security = options.security ?? {};
    options.logger.info({ brokers: options.brokers, ...describeKafkaSecurity(security) }, 'Kafka client configured');
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      ...(security.ssl ? { ssl: security.ssl } : {}),
      ...(security.sasl ? { sasl: saslOptions(security.sasl) } : {}),
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
      logCreator: () => (entry) => {
        const { message, ...extra } = entry.log;
        if (entry.level <= logLevel.ERROR) log.error(extra, message);
        else log.warn(extra, message);
      },
    });
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = undefined;
      throw this.explain(error);
    });
    return this.producerReady;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    try {
      await this.send(producer, byTopic);
    } catch (error) {
      // After a failed send (a broker restart, a fenced or out-of-sequence idempotent producer) start
      // over with a fresh producer; the caller (the outbox relay) sends the batch again.
      if (this.producer === producer) {
        this.producer = undefined;
        this.producerReady = undefined;
        void producer.disconnect().catch(() => undefined);
      }
      throw error;
    }
  }

  private async send(producer: Producer, byTopic: Map<string, OutgoingMessage[]>): Promise<void> {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, ms]) => ({
        topic,
        messages: ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
      })),
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const log = this.options.logger;
    const metrics = this.options.metrics;
    const handle = options.deadLetters?.wrap(options.groupId, options.handle) ?? options.handle;
    const what = `Kafka consumer group ${options.groupId}`;
    const state: { stopped: boolean; consumer: Consumer | undefined } = { stopped: false, consumer: undefined };
    const stopped = () => state.stopped || this.closed;

    /** One consumer, connected, subscribed, running and joined to its group within ATTEMPT_TIMEOUT_MS; else it is torn down. */
    const attempt = async (): Promise<void> => {
      const consumer = this.kafka.consumer({ groupId: options.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: true });
      state.consumer = consumer;
      this.consumers.add(consumer);
      let joined = false;
      let failJoin: (error: Error) => void = () => undefined;
      const join = new Promise<void>((resolve, reject) => {
        failJoin = reject;
        consumer.on(consumer.events.GROUP_JOIN, () => {
          joined = true;
          resolve();
        });
      });
      join.catch(() => undefined); // observed below; a crash after the join must not reject unobserved
      if (metrics) {
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          metrics.consumerLag.set({ group: options.groupId, topic: e.payload.topic, partition: String(e.payload.partition) }, Number(e.payload.offsetLag));
        });
      }
      // kafkajs restarts a consumer after retriable errors by itself (restart: true). After any other
      // crash it stays stopped: before the join that fails this attempt; after it (a broker gone for
      // longer than the retries, say) a new consumer is started, with backoff, until one runs again.
      consumer.on(consumer.events.CRASH, (e) => {
        if (stopped() || e.payload.restart || state.consumer !== consumer) return;
        if (!joined) return failJoin(e.payload.error);
        log.error({ err: e.payload.error, groupId: options.groupId }, 'Kafka consumer crashed; starting a new one');
        this.consumers.delete(consumer);
        state.consumer = undefined;
        void withTimeout(consumer.disconnect(), DISCONNECT_TIMEOUT_MS, 'disconnecting the crashed consumer took too long')
          .catch(() => undefined)
          .then(() => untilRunning())
          .catch((error: unknown) => {
            if (!(error instanceof RetryStopped)) log.error({ err: error, groupId: options.groupId }, 'Kafka consumer could not be restarted');
          });
      });
      // Set when the attempt gave up: a step still under way must not start a consumer nobody tracks.
      let abandoned = false;
      const run = async () => {
        await consumer.connect();
        if (abandoned) return;
        await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
        if (abandoned) return;
        await consumer.run({
          partitionsConsumedConcurrently: 4,
          eachMessage: async ({ topic, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
            const incoming: IncomingMessage = {
              topic,
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              headers,
            };
            // Throwing makes kafkajs retry the same message: nothing is skipped. A message the handler
            // keeps failing on is parked by the dead-letter guard, which then returns normally.
            await traceConsumer('kafka', options.groupId, incoming, (m) => handle(m));
            metrics?.consumed.inc({ group: options.groupId, topic });
          },
        });
        if (abandoned) return void consumer.disconnect().catch(() => undefined);
        // run() returns once the consumer is started, not joined: a join that fails crashes it later.
        await join;
      };
      try {
        // One bound for the whole attempt: connecting, subscribing, starting and joining.
        await withTimeout(run(), ATTEMPT_TIMEOUT_MS, `connecting and joining the consumer group took longer than ${ATTEMPT_TIMEOUT_MS} ms`);
        if (stopped()) throw new RetryStopped(what);
      } catch (error) {
        abandoned = true;
        state.consumer = undefined;
        this.consumers.delete(consumer);
        await withTimeout(consumer.disconnect(), DISCONNECT_TIMEOUT_MS, 'disconnecting the consumer took too long').catch(() => undefined);
        throw this.explain(error);
      }
    };
    const untilRunning = () =>
      retryUntilDone(what, attempt, { logger: log, stopped, initialDelayMs: 500, maxDelayMs: 10_000, context: { groupId: options.groupId } });
    await untilRunning();
    return {
      stop: async () => {
        state.stopped = true;
        const consumer = state.consumer;
        if (!consumer) return;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** Creates the missing topics and waits for a leader of every partition; one bounded attempt (callers retry). */
  async ensureTopics(topics: readonly { name: string; partitions: number }[]): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await withTimeout(
        this.createTopicsWithLeaders(admin, topics),
        TOPICS_TIMEOUT_MS,
        `topics ${topics.map((t) => t.name).join(', ')} not ready within ${TOPICS_TIMEOUT_MS} ms`,
      );
    } catch (error) {
      throw this.explain(error);
    } finally {
      await withTimeout(admin.disconnect(), DISCONNECT_TIMEOUT_MS, 'disconnecting the admin client took too long').catch(() => undefined);
    }
  }

  private async createTopicsWithLeaders(admin: Admin, topics: readonly { name: string; partitions: number }[]): Promise<void> {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })) });
      } catch (error) {
        // Another service created it at the same moment: that is the state we wanted.
        if (!String((error as Error).message).includes('already exists') && (error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      }
    }
    // A topic another process has just created may not have leaders yet: wait until every partition
    // has one, so the consumers and producers started next find them.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: topics.map((t) => t.name) })
        .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topics ${topics.map((t) => t.name).join(', ')} have no leaders after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** A refused SASL handshake as a KafkaAuthenticationError naming the variables to check; other errors as they are. */
  private explain(error: unknown): unknown {
    return explainKafkaError(error, this.options.security ?? {});
  }

  async healthy(): Promise<boolean> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect();
    this.producer = undefined;
    this.producerReady = undefined;
  }
}
