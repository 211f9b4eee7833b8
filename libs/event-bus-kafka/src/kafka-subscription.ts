import type { TopicDefinition } from '@pacs/contracts';
import {
  deadLetterHeaders,
  deadLetterTopicName,
  deliverBatchWithRetries,
  EventBusError,
  type BatchHandler,
  type DeliveryOutcome,
  type EventBusLogger,
  type ReceivedMessage,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@pacs/event-bus';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Message } from 'kafkajs';

/** What a subscription needs from its bus. */
export interface KafkaSubscriptionRuntime {
  readonly logger: EventBusLogger;
  readonly heartbeatIntervalMs: number;
  readonly joinTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly partitions: number;
  /** Produces with acks=all (the bus's idempotent producer); rejects with PUBLISH_FAILED. */
  send(topic: string, messages: Message[]): Promise<void>;
  /** The subscription is closed: drop it from health(). */
  forget(subscription: KafkaSubscription<unknown>): void;
}

export const KAFKA_SYSTEM = 'kafka';
const ABANDONED = Symbol('abandoned');

/**
 * One consumer in one group on one topic. kafkajs hands each partition's fetched messages to
 * eachBatch (partitions concurrently); they go to the handler in chunks of up to maxBatchSize (1 for
 * subscribe()), one chunk after the other. The handler's retries run in place, so a failing message
 * holds its partition back (per-key order) until it is handled or dead-lettered, and offsets are
 * committed only then, once per chunk (autoCommit off).
 */
export class KafkaSubscription<T> implements Subscription {
  readonly topic: string;
  readonly group: string;
  joined = false;
  private readonly stopping = new AbortController();
  private isAbandoned = false;
  private abandonNow: () => void = () => undefined;
  private readonly abandoned = new Promise<typeof ABANDONED>((resolve) => {
    this.abandonNow = () => resolve(ABANDONED);
  });
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly runtime: KafkaSubscriptionRuntime,
    private readonly consumer: Consumer,
    private readonly definition: TopicDefinition<T>,
    private readonly handler: BatchHandler<T>,
    private readonly options: ResolvedSubscribeOptions,
  ) {
    this.topic = definition.name;
    this.group = options.group;
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(events.REBALANCING, () => {
      this.joined = false;
    });
    consumer.on(events.STOP, () => {
      this.joined = false;
    });
    consumer.on(events.CRASH, ({ payload }) => {
      this.joined = false;
      // With restart, kafkajs rejoins by itself (GROUP_JOIN sets joined again); without, it is dead.
      const log = payload.restart ? this.runtime.logger.warn : this.runtime.logger.error;
      log.call(
        this.runtime.logger,
        { topic: this.topic, group: this.group, restart: payload.restart, error: payload.error.message },
        'consumer crashed',
      );
    });
  }

  /** Connects, joins the group and starts consuming; resolves once the group is joined. */
  async start(): Promise<void> {
    const joined = new Promise<void>((resolve) => {
      const remove = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`group ${this.group} not joined within ${this.runtime.joinTimeoutMs} ms`)),
        this.runtime.joinTimeoutMs,
      );
    });
    try {
      await this.consumer.connect();
      // A new group starts at the earliest offset, as the embedded log does: nothing published
      // before the first deployment of a consumer is missed.
      await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.runtime.partitions,
        // Offsets are resolved as the chunks are settled: one left unresolved is fetched again.
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.track(this.eachBatch(payload)),
      });
      await Promise.race([joined, timedOut]);
    } catch (error) {
      await this.consumer.disconnect().catch(() => undefined);
      throw new EventBusError('SUBSCRIBE_FAILED', `cannot join group ${this.group} on ${this.topic}`, true, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops taking messages, waits for the in-flight handlers (up to shutdownTimeoutMs) and commits
   * them, then leaves the group. The commits happen before consumer.disconnect(): kafkajs silently
   * drops a commit made once its runner is stopping.
   */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  /** Stops at once, committing nothing more (see KafkaEventBus.simulateCrash). */
  async abandon(): Promise<void> {
    this.isAbandoned = true;
    this.joined = false;
    this.abandonNow();
    this.stopping.abort();
    await this.consumer.disconnect().catch(() => undefined);
    this.runtime.forget(this as KafkaSubscription<unknown>);
  }

  private async stop(): Promise<void> {
    this.stopping.abort();
    try {
      this.consumer.pause([{ topic: this.topic }]);
    } catch {
      // Not running (never joined, or crashed): nothing to pause.
    }
    const { shutdownTimeoutMs } = this.runtime;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all(this.inFlight).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.runtime.logger.warn(
        { topic: this.topic, group: this.group, shutdownTimeoutMs },
        'handler still running at shutdown, abandoned uncommitted',
      );
      this.isAbandoned = true;
      this.abandonNow();
    }
    await this.consumer.disconnect().catch((error: unknown) => {
      this.runtime.logger.warn(
        { topic: this.topic, group: this.group, error: String(error) },
        'consumer disconnect failed',
      );
    });
    this.joined = false;
    this.runtime.forget(this as KafkaSubscription<unknown>);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    const untrack = (): void => void this.inFlight.delete(work);
    work.then(untrack, untrack);
    return work;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    // kafkajs heartbeats only between batches: a handler retrying for longer than the session
    // timeout would get its partitions taken away. Heartbeat while it runs.
    const heartbeats = setInterval(() => {
      heartbeat().catch(() => undefined);
    }, this.runtime.heartbeatIntervalMs);
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.maxBatchSize) {
        // Closing, crashed or rebalanced: leave the rest uncommitted for the partition's next owner.
        if (this.stopping.signal.aborted || !isRunning() || isStale()) return;
        const chunk = batch.messages
          .slice(start, start + this.options.maxBatchSize)
          .map((message) => received(topic, partition, message));
        const outcomes = await Promise.race([this.deliver(chunk), this.abandoned]);
        if (outcomes === ABANDONED || this.isAbandoned) return;
        let next: string | undefined;
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome.kind === 'interrupted') break;
          const message = chunk[i]!;
          if (outcome.kind === 'dead-letter') await this.deadLetter(message, outcome);
          // Kafka's convention: the committed offset is the next message to read.
          next = (BigInt(message.offset) + 1n).toString();
        }
        if (next !== undefined) {
          await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
          resolveOffset((BigInt(next) - 1n).toString());
        }
        if (outcomes.length < chunk.length || outcomes.some((o) => o.kind === 'interrupted')) return;
      }
    } finally {
      clearInterval(heartbeats);
    }
  }

  private deliver(messages: readonly ReceivedMessage[]): Promise<DeliveryOutcome[]> {
    return deliverBatchWithRetries({
      system: KAFKA_SYSTEM,
      topic: this.definition,
      messages,
      handler: this.handler,
      options: this.options,
      signal: this.stopping.signal,
      logger: this.runtime.logger,
    });
  }

  private async deadLetter(
    message: ReceivedMessage,
    outcome: Extract<DeliveryOutcome, { kind: 'dead-letter' }>,
  ): Promise<void> {
    // A failure here throws out of eachMessage: kafkajs then restarts the consumer from the last
    // committed offset, so the message is tried again rather than lost.
    await this.runtime.send(deadLetterTopicName(this.topic), [
      {
        key: message.key,
        value: message.value,
        headers: deadLetterHeaders(message, this.group, outcome.reason),
      },
    ]);
    this.runtime.logger.error(
      {
        topic: this.topic,
        group: this.group,
        partition: message.partition,
        offset: message.offset,
        errorCode: outcome.reason.code,
        error: outcome.reason.message,
        attempts: outcome.reason.attempts,
      },
      'message dead-lettered',
    );
  }
}

function received(topic: string, partition: number, message: KafkaMessage): ReceivedMessage {
  return {
    topic,
    key: message.key?.toString('utf8') ?? '',
    value: message.value?.toString('utf8') ?? null,
    headers: stringHeaders(message.headers),
    partition,
    offset: message.offset,
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    // A repeated header keeps its first value: the port exposes one value per header.
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}
