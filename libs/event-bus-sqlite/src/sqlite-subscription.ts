import type { TopicDefinition } from '@pacs/contracts';
import {
  deadLetterHeaders,
  deadLetterTopicName,
  deliverWithRetries,
  type DeliveryOutcome,
  type EventBusLogger,
  type MessageHandler,
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

/** One group's consumption of one topic: one sequential loop per partition, all concurrent. */
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
    private readonly handler: MessageHandler<T>,
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
      for (const stored of batch) {
        if (signal.aborted) return;
        const message = this.received(partition, stored);
        const outcome = await Promise.race([this.deliver(message, signal), this.abandoned]);
        if (outcome === ABANDONED || this.isAbandoned || outcome.kind === 'interrupted') return;
        if (!this.settle(message, stored.offset, outcome)) {
          // Not committed: read again from the same offset, after a pause (the message comes again).
          await this.runtime.waitForAppend(this.topic, pollIntervalMs, signal);
          break;
        }
        next = stored.offset + 1;
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

  private deliver(message: ReceivedMessage, signal: AbortSignal): Promise<DeliveryOutcome> {
    return deliverWithRetries({
      system: SQLITE_SYSTEM,
      topic: this.definition,
      message,
      handler: this.handler,
      options: this.options,
      signal,
      logger: this.runtime.logger,
    });
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
