import type { TopicDefinition } from '@pacs/contracts';
import { decodeEvent } from './event-codec';
import { EventBusError } from './event-bus.errors';
import {
  DLQ_HEADERS,
  type BatchSubscribeOptions,
  type DeliveredMessage,
  type EventBusLogger,
  type MessageHandler,
  type SubscribeOptions,
} from './event-bus.port';
import { computeRetryDelayMs, sleepUnlessAborted } from './retry-backoff';
import { traceDelivery } from './trace-headers';

/** SubscribeOptions with every default applied. */
export interface ResolvedSubscribeOptions {
  readonly group: string;
  readonly maxAttempts: number;
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
  /** Most messages per handler call: 1 for subscribe(), BatchSubscribeOptions.maxBatchSize for subscribeBatch(). */
  readonly maxBatchSize: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_MAX_BATCH_SIZE = 100;
const LARGEST_BATCH_SIZE = 10_000;
export const DEFAULT_RETRY_BACKOFF_MS = 200;
export const DEFAULT_MAX_RETRY_BACKOFF_MS = 30_000;

/** Applies the defaults and refuses nonsense (a bad option is a bug: SUBSCRIBE_FAILED, not retriable). */
export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedSubscribeOptions {
  return resolveOptions(options, 1);
}

/** As resolveSubscribeOptions, for subscribeBatch(): maxBatchSize from 1 to 10,000 (default 100). */
export function resolveBatchSubscribeOptions(options: BatchSubscribeOptions): ResolvedSubscribeOptions {
  return resolveOptions(options, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
}

function resolveOptions(options: SubscribeOptions, maxBatchSize: number): ResolvedSubscribeOptions {
  const resolved: ResolvedSubscribeOptions = {
    group: options.group,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryBackoffMs: options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
    maxRetryBackoffMs: options.maxRetryBackoffMs ?? DEFAULT_MAX_RETRY_BACKOFF_MS,
    maxBatchSize,
  };
  const problems: string[] = [];
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > LARGEST_BATCH_SIZE)
    problems.push(`maxBatchSize must be an integer from 1 to ${LARGEST_BATCH_SIZE}`);
  if (typeof resolved.group !== 'string' || resolved.group.length === 0)
    problems.push('group must be a non-empty string');
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1)
    problems.push('maxAttempts must be an integer >= 1');
  if (!(resolved.retryBackoffMs >= 0)) problems.push('retryBackoffMs must be >= 0');
  if (!(resolved.maxRetryBackoffMs >= 0)) problems.push('maxRetryBackoffMs must be >= 0');
  if (problems.length > 0) {
    throw new EventBusError('SUBSCRIBE_FAILED', `invalid subscribe options: ${problems.join('; ')}`, false);
  }
  return resolved;
}

/** A message as the engine hands it over, before decoding. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly key: string;
  /** The JSON text; null for an engine-level empty message (a Kafka tombstone). */
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition: number;
  readonly offset: string;
}

/** Why a message goes to the dead-letter topic. */
export interface DeadLetterReason {
  readonly code: string;
  readonly message: string;
  /** Handler invocations; 0 when the payload was refused on receipt. */
  readonly attempts: number;
}

/**
 * What the adapter does next: commit (handled), write to `<topic>.dlq` then commit (dead-letter),
 * or nothing (interrupted: the bus is closing; the message stays uncommitted and is delivered again).
 */
export type DeliveryOutcome =
  | { readonly kind: 'handled'; readonly attempts: number }
  | { readonly kind: 'dead-letter'; readonly reason: DeadLetterReason }
  | { readonly kind: 'interrupted'; readonly attempts: number };

export interface DeliveryParams<T> {
  readonly system: string;
  readonly topic: TopicDefinition<T>;
  readonly message: ReceivedMessage;
  readonly handler: MessageHandler<T>;
  readonly options: ResolvedSubscribeOptions;
  /** Aborted on close: no new attempt starts and a pending backoff ends at once. */
  readonly signal: AbortSignal;
  readonly logger: EventBusLogger;
  /** For tests of the jitter; Math.random otherwise. */
  readonly random?: () => number;
}

/**
 * Validates a received message and runs the handler with bounded retries and backoff, in the trace
 * context of the producer. Shared by the adapters so that both retry and dead-letter alike.
 */
export async function deliverWithRetries<T>(params: DeliveryParams<T>): Promise<DeliveryOutcome> {
  const { system, topic, message, handler, options, signal, logger } = params;
  const logContext = {
    topic: message.topic,
    group: options.group,
    partition: message.partition,
    offset: message.offset,
  };
  const decoded = decodeEvent(topic, message.value);
  if (!decoded.ok) {
    // Retrying cannot make a payload valid: straight to the dead letters.
    return { kind: 'dead-letter', reason: { code: decoded.code, message: decoded.message, attempts: 0 } };
  }
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { kind: 'interrupted', attempts: attempt - 1 };
    const delivered: DeliveredMessage<T> = {
      topic: message.topic,
      key: message.key,
      value: decoded.value,
      headers: message.headers,
      offset: message.offset,
      partition: message.partition,
      attempt,
    };
    try {
      await traceDelivery(
        {
          system,
          topic: message.topic,
          group: options.group,
          partition: message.partition,
          offset: message.offset,
          attempt,
        },
        message.headers,
        () => handler(delivered),
      );
      return { kind: 'handled', attempts: attempt };
    } catch (error) {
      const reason: DeadLetterReason = { code: errorCode(error), message: errorMessage(error), attempts: attempt };
      if (!isRetriable(error) || attempt >= options.maxAttempts) {
        return { kind: 'dead-letter', reason };
      }
      const delayMs = computeRetryDelayMs(attempt, options, params.random);
      logger.warn(
        { ...logContext, attempt, delayMs, errorCode: reason.code, error: reason.message },
        'event handler failed, retrying',
      );
      if (!(await sleepUnlessAborted(delayMs, signal))) return { kind: 'interrupted', attempts: attempt };
    }
  }
}

/** The headers of the dead-letter copy: the original ones plus DLQ_HEADERS. */
export function deadLetterHeaders(
  message: ReceivedMessage,
  group: string,
  reason: DeadLetterReason,
  failedAt: Date = new Date(),
): Record<string, string> {
  return {
    ...message.headers,
    [DLQ_HEADERS.originalTopic]: message.topic,
    [DLQ_HEADERS.group]: group,
    [DLQ_HEADERS.errorCode]: reason.code,
    [DLQ_HEADERS.errorMessage]: reason.message,
    [DLQ_HEADERS.attempts]: String(reason.attempts),
    [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
  };
}

/** Name of the dead-letter topic of `topic`. */
export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}

const MAX_ERROR_MESSAGE_LENGTH = 2000;

/** A thrown value's stable code: its own string `code` if it has one, HANDLER_FAILED otherwise. */
export function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : 'HANDLER_FAILED';
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Headers are not a place for a megabyte of stack: keep the start, which says what failed.
  return text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : text;
}

/** Retriable unless the error says `retriable: false` (NonRetriableError, EventBusError, kafkajs errors alike). */
export function isRetriable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false);
}
