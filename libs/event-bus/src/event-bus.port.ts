import type { TopicDefinition } from '@pacs/contracts';

/** Injection token of the EventBus port; the composition root binds one adapter to it. */
export const EVENT_BUS = Symbol('EVENT_BUS');

/** What the adapters log through: a constant message plus a context object (pino-compatible). */
export interface EventBusLogger {
  /** Lifecycle: started, joined, closed. */
  info(context: Record<string, unknown>, message: string): void;
  /** Something retried or dead-lettered; the system goes on. */
  warn(context: Record<string, unknown>, message: string): void;
  /** Something failed that an operator should look at. */
  error(context: Record<string, unknown>, message: string): void;
}

/** The default logger of the adapters: silent. */
export const NOOP_EVENT_BUS_LOGGER: EventBusLogger = Object.freeze({
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** A message handed to a handler. */
export interface DeliveredMessage<T> {
  /** Topic name. */
  readonly topic: string;
  /** Partition key (see TopicDefinition.key). */
  readonly key: string;
  /** The payload, validated against the topic's schema. */
  readonly value: T;
  /** Headers as published, trace context included. */
  readonly headers: Readonly<Record<string, string>>;
  /** Position in its partition, as a decimal string (Kafka offsets exceed 2^53 in theory). */
  readonly offset: string;
  /** Partition of the topic: hash of the key modulo the topic's partition count. */
  readonly partition: number;
  /** 1 on the first delivery of this message to this handler, incremented on each retry. */
  readonly attempt: number;
}

/** Handles one message; a rejection is retried (unless its error says `retriable: false`), then dead-lettered. */
export type MessageHandler<T> = (message: DeliveredMessage<T>) => Promise<void>;

/**
 * Handles messages of one partition, in offset order, as one unit: they are committed together once
 * it resolves. When it rejects, each message of the batch is handed over again alone (a batch of
 * one) with the retry and dead-letter rules of a MessageHandler, so that one bad message neither
 * holds the others back nor takes them to the dead letters. It must therefore be idempotent per
 * message, as every handler is under at-least-once delivery.
 */
export type BatchHandler<T> = (messages: readonly DeliveredMessage<T>[]) => Promise<void>;

export interface PublishOptions {
  /** Extra headers; the trace context is added by the adapter. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SubscribeOptions {
  /** Consumer group: each group gets every message (at least once); a new group starts at the earliest message. */
  readonly group: string;
  /** Attempts before the message goes to `<topic>.dlq` (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter (default 200 ms). */
  readonly retryBackoffMs?: number;
  /** Upper bound of the retry delay (default 30 s). */
  readonly maxRetryBackoffMs?: number;
}

export interface BatchSubscribeOptions extends SubscribeOptions {
  /**
   * Most messages per call (default 100). A batch holds what the engine has already fetched for a
   * partition: the bus never waits for a batch to fill, so a lone message is handed over at once.
   */
  readonly maxBatchSize?: number;
}

export interface Subscription {
  /** Topic name. */
  readonly topic: string;
  /** Consumer group. */
  readonly group: string;
  /** Stops fetching, lets in-flight handlers finish, commits, leaves the group. */
  close(): Promise<void>;
}

export interface SubscriptionHealth {
  /** Topic name. */
  readonly topic: string;
  /** Consumer group. */
  readonly group: string;
  /** Member of its group with partitions to consume (false while rebalancing or after a crash). */
  readonly joined: boolean;
}

export interface EventBusHealth {
  /** The engine takes publishes (Kafka: producer connected and its last send acknowledged; SQLite: database open). */
  readonly connected: boolean;
  /** One entry per open subscription. */
  readonly subscriptions: readonly SubscriptionHealth[];
}

/**
 * The platform's event backbone. Delivery is at least once, in order per key; a message whose
 * handler keeps failing goes to `<topic>.dlq` with the error in its headers (DLQ_HEADERS).
 */
export interface EventBus {
  /** Connects and provisions the topics and their dead-letter topics; rejects START_FAILED (retriable). */
  start(topics: readonly TopicDefinition<unknown>[]): Promise<void>;
  /**
   * Validates and publishes; resolves only once the message is durable. Rejects INVALID_EVENT (not
   * retriable, nothing published), PUBLISH_FAILED (retriable) or CLOSED.
   */
  publish<T>(topic: TopicDefinition<T>, event: T, options?: PublishOptions): Promise<void>;
  /** Starts consuming in a group; resolves once the group has been joined. Rejects SUBSCRIBE_FAILED. */
  subscribe<T>(topic: TopicDefinition<T>, handler: MessageHandler<T>, options: SubscribeOptions): Promise<Subscription>;
  /**
   * As subscribe, with the messages of a partition handed over in batches (see BatchHandler): for a
   * consumer whose writes cost less per message together (one transaction, one sync).
   */
  subscribeBatch<T>(
    topic: TopicDefinition<T>,
    handler: BatchHandler<T>,
    options: BatchSubscribeOptions,
  ): Promise<Subscription>;
  /** Connection and group membership, for readiness. */
  health(): EventBusHealth;
  /** Closes every subscription gracefully (in-flight handlers finish and are committed), then the connection. */
  close(): Promise<void>;
}

/**
 * Headers added to a dead-lettered message (its original key, value and headers are kept). The
 * attempts header counts handler invocations: 0 when the payload failed validation on receipt.
 */
export const DLQ_HEADERS = {
  originalTopic: 'x-pacs-dlq-original-topic',
  group: 'x-pacs-dlq-group',
  errorCode: 'x-pacs-dlq-error-code',
  errorMessage: 'x-pacs-dlq-error-message',
  attempts: 'x-pacs-dlq-attempts',
  failedAt: 'x-pacs-dlq-failed-at',
} as const;
