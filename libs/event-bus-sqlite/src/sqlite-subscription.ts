import type { TopicDefinition } from '@pacs/contracts';
import {
  deadLetterHeaders,
  deadLetterTopicName,
  deliverBatchWithRetries,
  type BatchHandler,
  type DeliveryOutcome,
  type EventBusLogger,
  type ReceivedMessage,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@pacs/event-bus';
import type { SqliteMessageLog, StoredMessage } from './sqlite-message-log';

/** What a subscription needs from its bus. */
export interface ConsumerRuntime {
  readonly log: SqliteMessageLog;
  readonly logger: EventBusLogger;
  readonly pollIntervalMs: number;
  readonly fetchBatchSize: number;
  readonly shutdownTimeoutMs: number;
  readonly partitionsOfNewTopics: number;
  /** Resolves when a message is appended to `topic`, after `timeoutMs`, or on abort. */
  waitForAppend(topic: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  notifyAppended(topics: Iterable<string>): void;
  /** The subscription is closed: drop it from health(). */
  forget(subscription: SqliteSubscription<unknown>): void;
}

export const SQLITE_SYSTEM = 'sqlite';
const ABANDONED = Symbol('abandoned');

/**
 * One group's consumption of one topic: one sequential loop per partition, all concurrent. Each loop
 * hands the fetched messages over in batches of up to maxBatchSize (1 for subscribe()) and commits
 * once per batch.
 */
export class SqliteSubscription<T> implements Subscription {
  readonly topic: string;
  readonly group: string;
  joined = false;
  private readonly stopping = new AbortController();
  private isAbandoned = false;
  private abandonNow: () => void = () => undefined;
  private readonly abandoned = new Promise<typeof ABANDONED>((resolve) => {
    this.abandonNow = () => resolve(ABANDONED);
  });
  private loops: Promise<void>[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly runtime: ConsumerRuntime,
    private readonly definition: TopicDefinition<T>,
    private readonly handler: BatchHandler<T>,
    private readonly options: ResolvedSubscribeOptions,
    nextOffsets: readonly number[],
  ) {
    this.topic = definition.name;
    this.group = options.group;
    this.joined = true;
    this.loops = nextOffsets.map((offset, partition) => this.consume(partition, offset));
  }

  /** Stops fetching, waits for the in-flight handlers (up to shutdownTimeoutMs), commits them. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  /** Stops at once and commits nothing more, as a killed process would. */
  abandon(): void {
    this.joined = false;
    this.isAbandoned = true;
    this.abandonNow();
    this.stopping.abort();
  }

  private async stop(): Promise<void> {
    this.stopping.abort();
    const { shutdownTimeoutMs } = this.runtime;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all(this.loops).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.runtime.logger.warn(
        { topic: this.topic, group: this.group, shutdownTimeoutMs },
        'handler still running at shutdown, abandoned uncommitted',
      );
      this.abandon();
      await Promise.all(this.loops);
    }
    this.joined = false;
    this.runtime.forget(this as SqliteSubscription<unknown>);
  }

  private async consume(partition: number, from: number): Promise<void> {
    const { log, logger, pollIntervalMs, fetchBatchSize } = this.runtime;
    const signal = this.stopping.signal;
    let next = from;
    while (!signal.aborted) {
      let batch: StoredMessage[];
      try {
        batch = log.fetch(this.topic, partition, next, fetchBatchSize);
      } catch (error) {
        if (signal.aborted) return;
        logger.error({ topic: this.topic, group: this.group, partition, error: describe(error) }, 'fetch failed');
        await this.runtime.waitForAppend(this.topic, pollIntervalMs, signal);
        continue;
      }
      if (batch.length === 0) {
        // Registered in the same synchronous step as the empty fetch: no append can slip in between.
        await this.runtime.waitForAppend(this.topic, pollIntervalMs, signal);
        continue;
      }
      for (let start = 0; start < batch.length; start += this.options.maxBatchSize) {
        if (signal.aborted) return;
        const chunk = batch.slice(start, start + this.options.maxBatchSize);
        const messages = chunk.map((stored) => this.received(partition, stored));
        const outcomes = await Promise.race([this.deliver(messages, signal), this.abandoned]);
        if (outcomes === ABANDONED || this.isAbandoned) return;
        const settled = this.settleAll(messages, chunk, outcomes);
        if (settled.next !== undefined) next = settled.next;
        if (settled.stop === 'interrupted') return;
        if (settled.stop === 'refused') {
          // Not committed: read again from the first uncommitted offset, after a pause (those messages come again).
          await this.runtime.waitForAppend(this.topic, pollIntervalMs, signal);
          break;
        }
      }
    }
  }

  private received(partition: number, stored: StoredMessage): ReceivedMessage {
    return {
      topic: this.topic,
      key: stored.key,
      value: stored.value,
      headers: stored.headers,
      partition,
      offset: String(stored.offset),
    };
  }

  private deliver(messages: readonly ReceivedMessage[], signal: AbortSignal): Promise<DeliveryOutcome[]> {
    return deliverBatchWithRetries({
      system: SQLITE_SYSTEM,
      topic: this.definition,
      messages,
      handler: this.handler,
      options: this.options,
      signal,
      logger: this.runtime.logger,
    });
  }

  /**
   * Settles a batch's outcomes in order: the handled messages are committed together, with the
   * next dead-letter copy (its commit covers them) or at the end. Stops at the first 'interrupted'
   * (nothing after it was delivered) and at a commit the log refused. `next` is the offset after
   * the last one committed (undefined: none was), where reading goes on.
   */
  private settleAll(
    messages: readonly ReceivedMessage[],
    chunk: readonly StoredMessage[],
    outcomes: readonly DeliveryOutcome[],
  ): { next: number | undefined; stop: 'interrupted' | 'refused' | undefined } {
    let next: number | undefined;
    let handled: { message: ReceivedMessage; offset: number } | undefined;
    let delivered = 0;
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.kind === 'interrupted') break;
      delivered++;
      const offset = chunk[i]!.offset;
      if (outcome.kind === 'handled') {
        handled = { message: messages[i]!, offset };
        continue;
      }
      if (!this.settle(messages[i]!, offset, outcome)) return { next, stop: 'refused' };
      handled = undefined;
      next = offset + 1;
    }
    if (handled) {
      if (!this.settle(handled.message, handled.offset, { kind: 'handled', attempts: 1 }))
        return { next, stop: 'refused' };
      next = handled.offset + 1;
    }
    return { next, stop: delivered < chunk.length ? 'interrupted' : undefined };
  }

  /** Commits a handled message, or writes its dead-letter copy and commits; false if the log refused. */
  private settle(message: ReceivedMessage, offset: number, outcome: DeliveryOutcome): boolean {
    const { log, logger } = this.runtime;
    const context = { topic: this.topic, group: this.group, partition: message.partition, offset };
    try {
      if (outcome.kind === 'dead-letter') {
        const dlq = deadLetterTopicName(this.topic);
        log.deadLetterAndCommit(
          {
            topic: dlq,
            key: message.key,
            // The payload unchanged (even an invalid one), so that it can be replayed once fixed.
            value: message.value ?? '',
            headers: deadLetterHeaders(message, this.group, outcome.reason),
          },
          this.runtime.partitionsOfNewTopics,
          this.group,
          this.topic,
          message.partition,
          offset + 1,
        );
        this.runtime.notifyAppended([dlq]);
        logger.error(
          {
            ...context,
            errorCode: outcome.reason.code,
            error: outcome.reason.message,
            attempts: outcome.reason.attempts,
          },
          'message dead-lettered',
        );
      } else {
        log.commit(this.group, this.topic, message.partition, offset + 1);
      }
      return true;
    } catch (error) {
      logger.error({ ...context, error: describe(error) }, 'commit failed, the message will be delivered again');
      return false;
    }
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
