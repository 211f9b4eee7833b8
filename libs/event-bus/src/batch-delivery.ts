import type { TopicDefinition } from '@pacs/contracts';
import { decodeEvent } from './event-codec';
import type { BatchHandler, DeliveredMessage, EventBusLogger } from './event-bus.port';
import {
  deliverWithRetries,
  type DeliveryOutcome,
  type ReceivedMessage,
  type ResolvedSubscribeOptions,
} from './message-delivery';
import { traceBatchDelivery } from './trace-headers';

export interface BatchDeliveryParams<T> {
  readonly system: string;
  readonly topic: TopicDefinition<T>;
  /** Messages of one partition, in offset order. */
  readonly messages: readonly ReceivedMessage[];
  readonly handler: BatchHandler<T>;
  readonly options: ResolvedSubscribeOptions;
  /** Aborted on close: no new attempt starts and a pending backoff ends at once. */
  readonly signal: AbortSignal;
  readonly logger: EventBusLogger;
  /** For tests of the jitter; Math.random otherwise. */
  readonly random?: () => number;
}

/**
 * Delivers a batch (see BatchHandler): the whole batch in one handler call when every payload is
 * valid, or else, and when that call fails, each message alone through deliverWithRetries. Returns
 * one outcome per message, in order, up to the first 'interrupted' (the rest were not delivered:
 * the adapter commits nothing from there on). Shared by the adapters so that both batch alike.
 */
export async function deliverBatchWithRetries<T>(params: BatchDeliveryParams<T>): Promise<DeliveryOutcome[]> {
  const { system, topic, messages, handler, options, signal, logger } = params;
  if (messages.length > 1 && !signal.aborted) {
    const delivered = decodeAll(topic, messages);
    if (delivered) {
      const first = messages[0]!;
      const last = messages[messages.length - 1]!;
      try {
        await traceBatchDelivery(
          {
            system,
            topic: first.topic,
            group: options.group,
            partition: first.partition,
            firstOffset: first.offset,
            lastOffset: last.offset,
            messageCount: messages.length,
          },
          messages.map((message) => message.headers),
          () => handler(delivered),
        );
        return messages.map(() => ({ kind: 'handled', attempts: 1 }));
      } catch (error) {
        logger.warn(
          {
            topic: first.topic,
            group: options.group,
            partition: first.partition,
            firstOffset: first.offset,
            lastOffset: last.offset,
            error: error instanceof Error ? error.message : String(error),
          },
          'batch handler failed, delivering its messages one by one',
        );
      }
    }
  }
  const outcomes: DeliveryOutcome[] = [];
  for (const message of messages) {
    const outcome = await deliverWithRetries({
      system,
      topic,
      message,
      handler: (one) => handler([one]),
      options,
      signal,
      logger,
      ...(params.random ? { random: params.random } : {}),
    });
    outcomes.push(outcome);
    if (outcome.kind === 'interrupted') break;
  }
  return outcomes;
}

/** The decoded messages, or undefined if one payload is invalid (it goes alone to the dead letters). */
function decodeAll<T>(
  topic: TopicDefinition<T>,
  messages: readonly ReceivedMessage[],
): DeliveredMessage<T>[] | undefined {
  const delivered: DeliveredMessage<T>[] = [];
  for (const message of messages) {
    const decoded = decodeEvent(topic, message.value);
    if (!decoded.ok) return undefined;
    delivered.push({
      topic: message.topic,
      key: message.key,
      value: decoded.value,
      headers: message.headers,
      offset: message.offset,
      partition: message.partition,
      attempt: 1,
    });
  }
  return delivered;
}
