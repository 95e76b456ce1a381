// The messaging port: what services need from an event bus. Kafka implements it in production;
// a PostgreSQL-backed log implements it for the single-process embedded default.
import type { Trx } from './db';

export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers?: Record<string, string>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Must be idempotent: a message is delivered at least once and redelivered after a crash. */
  readonly handle: (message: IncomingMessage) => Promise<void>;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'embedded';
  /** `trx` lets a bus that lives in the same database publish atomically with the caller. */
  publish(messages: readonly OutgoingMessage[], trx?: Trx): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  ensureTopics(topics: readonly { name: string; partitions: number }[]): Promise<void>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
