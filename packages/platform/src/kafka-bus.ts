// MessageBus on Apache Kafka (kafkajs): idempotent producer, consumer groups, offsets committed only
// after the handler succeeded (at-least-once; handlers are idempotent through their inbox).
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { IncomingMessage, MessageBus, OutgoingMessage, SubscribeOptions, Subscription } from './messaging';
import { traceConsumer } from './tracing';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export class KafkaBus implements MessageBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly options: KafkaBusOptions) {
    const log = options.logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
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
      throw error;
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
    const state: { stopped: boolean; consumer: Consumer | undefined } = { stopped: false, consumer: undefined };
    const start = async (): Promise<void> => {
      const consumer = this.kafka.consumer({ groupId: options.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: true });
      state.consumer = consumer;
      const metrics = this.options.metrics;
      if (metrics) {
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          metrics.consumerLag.set({ group: options.groupId, topic: e.payload.topic, partition: String(e.payload.partition) }, Number(e.payload.offsetLag));
        });
      }
      // kafkajs restarts a consumer after retriable errors by itself; after any other crash (a broker
      // gone for longer than the retries, say) the consumer would stay stopped: start a new one.
      consumer.on(consumer.events.CRASH, (e) => {
        if (state.stopped || e.payload.restart) return;
        log.error({ err: e.payload.error, groupId: options.groupId }, 'Kafka consumer crashed; starting a new one');
        this.consumers.delete(consumer);
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => restartUntilRunning());
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
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
          // Throwing makes kafkajs retry the same message: nothing is skipped.
          await traceConsumer('kafka', options.groupId, incoming, (m) => options.handle(m));
          metrics?.consumed.inc({ group: options.groupId, topic });
        },
      });
      this.consumers.add(consumer);
    };
    const restartUntilRunning = async (): Promise<void> => {
      while (!state.stopped) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (state.stopped) return;
        try {
          await start();
          return;
        } catch (error) {
          log.warn({ err: error, groupId: options.groupId }, 'starting the Kafka consumer again failed; retrying');
          await state.consumer?.disconnect().catch(() => undefined);
        }
      }
    };
    await start();
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

  async ensureTopics(topics: readonly { name: string; partitions: number }[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
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
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`topics ${topics.map((t) => t.name).join(', ')} have no leaders after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await admin.disconnect();
    }
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
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect();
    this.producer = undefined;
    this.producerReady = undefined;
  }
}
