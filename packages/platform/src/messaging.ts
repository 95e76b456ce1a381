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

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

/**
 * Wraps a consumer's handler (both buses call it): a message the handler keeps failing on is parked
 * after a bounded number of attempts, so it cannot block its partition (./dead-letters).
 */
export interface DeadLetterGuard {
  wrap(groupId: string, handle: MessageHandler): MessageHandler;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Must be idempotent: a message is delivered at least once and redelivered after a crash. */
  readonly handle: MessageHandler;
  /** Where messages the handler cannot handle are parked; without it a failing message is retried forever. */
  readonly deadLetters?: DeadLetterGuard;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'embedded';
  /** `trx` lets a bus that lives in the same database publish atomically with the caller. */
  publish(messages: readonly OutgoingMessage[], trx?: Trx): Promise<void>;
  /** Resolves once the consumer is running (for Kafka: has joined its group); waits, retrying, until then. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  ensureTopics(topics: readonly { name: string; partitions: number }[]): Promise<void>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
