import type { TopicDefinition } from '@pacs/contracts';

export const EVENT_BUS = Symbol('EVENT_BUS');

/** A message handed to a handler. */
export interface DeliveredMessage<T> {
  readonly topic: string;
  readonly key: string;
  readonly value: T;
  readonly headers: Readonly<Record<string, string>>;
  /** Position in the topic (partition-scoped for Kafka), as a decimal string. */
  readonly offset: string;
  readonly partition: number;
  /** 1 on first delivery to this handler invocation sequence, incremented on each retry. */
  readonly attempt: number;
}

export type MessageHandler<T> = (message: DeliveredMessage<T>) => Promise<void>;

export interface PublishOptions {
  /** Extra headers; the trace context is added by the adapter. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SubscribeOptions {
  /** Consumer group: each group gets every message once (at least once). */
  readonly group: string;
  /** Attempts before the message goes to `<topic>.dlq` (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter (default 200 ms). */
  readonly retryBackoffMs?: number;
  /** Upper bound of the retry delay (default 30 s). */
  readonly maxRetryBackoffMs?: number;
}

export interface Subscription {
  readonly topic: string;
  readonly group: string;
  /** Stops fetching, lets in-flight handlers finish, commits, leaves the group. */
  close(): Promise<void>;
}

export interface SubscriptionHealth {
  readonly topic: string;
  readonly group: string;
  readonly joined: boolean;
}

export interface EventBusHealth {
  readonly connected: boolean;
  readonly subscriptions: readonly SubscriptionHealth[];
}

/**
 * The platform's event backbone. Delivery is at least once, in order per key; a message whose
 * handler keeps failing goes to `<topic>.dlq` with the error in its headers (DLQ_HEADERS).
 */
export interface EventBus {
  /** Connects and provisions the topics and their dead-letter topics. */
  start(topics: readonly TopicDefinition<unknown>[]): Promise<void>;
  /** Validates and publishes; resolves only once the message is durable, rejects otherwise. */
  publish<T>(topic: TopicDefinition<T>, event: T, options?: PublishOptions): Promise<void>;
  /** Starts consuming in a group; resolves once the group has been joined. */
  subscribe<T>(topic: TopicDefinition<T>, handler: MessageHandler<T>, options: SubscribeOptions): Promise<Subscription>;
  /** Connection and group membership, for readiness. */
  health(): EventBusHealth;
  /** Closes every subscription gracefully, then the connection. */
  close(): Promise<void>;
}

/** Headers of a dead-lettered message. */
export const DLQ_HEADERS = {
  originalTopic: 'x-pacs-dlq-original-topic',
  group: 'x-pacs-dlq-group',
  errorCode: 'x-pacs-dlq-error-code',
  errorMessage: 'x-pacs-dlq-error-message',
  attempts: 'x-pacs-dlq-attempts',
  failedAt: 'x-pacs-dlq-failed-at',
} as const;
