import { EventEmitter } from 'node:events';
import type { TopicDefinition } from '@pacs/contracts';
import {
  deadLetterTopicName,
  encodeEvent,
  EventBusError,
  GroupSync,
  NOOP_EVENT_BUS_LOGGER,
  resolveBatchSubscribeOptions,
  resolveSubscribeOptions,
  tracePublish,
  type BatchHandler,
  type BatchSubscribeOptions,
  type EventBus,
  type EventBusHealth,
  type EventBusLogger,
  type MessageHandler,
  type PublishOptions,
  type ResolvedSubscribeOptions,
  type SubscribeOptions,
  type Subscription,
} from '@pacs/event-bus';

import { SqliteMessageLog, type AppendedPosition, type AppendRequest } from './sqlite-message-log';
import { describe, SQLITE_SYSTEM, SqliteSubscription, type ConsumerRuntime } from './sqlite-subscription';

export interface SqliteEventBusOptions {
  /** The database file (its folder is created); one process owns it. */
  readonly file: string;
  /** Partitions of a topic this bus creates (default 4); an existing topic keeps its count. */
  readonly partitions?: number;
  /** Fallback poll of the consumers; a publish in this process wakes them at once (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Messages read per query by a partition's consumer (default 100). */
  readonly fetchBatchSize?: number;
  /**
   * How long a write waits for a database locked by another process (a backup tool, say) before
   * failing; node:sqlite is synchronous, so the event loop waits too (default 2000 ms).
   */
  readonly busyTimeoutMs?: number;
  /** Delete messages older than this many days once every group known on them committed them (default: keep all). */
  readonly retentionDays?: number;
  /** How often the retention sweep runs (default 1 h). */
  readonly retentionIntervalMs?: number;
  /** close() abandons handlers still running after this long; their messages are delivered again later (default 30 s). */
  readonly shutdownTimeoutMs?: number;
  /** Default: silent. */
  readonly logger?: EventBusLogger;
}

// failed: the event log could not be synced; nothing more is accepted until a restart.
type State = 'new' | 'started' | 'closing' | 'closed' | 'crashed' | 'failed';

interface PendingAppend {
  readonly request: AppendRequest;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The embedded EventBus: a durable log in one SQLite file with Kafka's semantics: topics split in
 * partitions by key, consumer groups with committed offsets, at-least-once delivery in order per
 * key, bounded retries then `<topic>.dlq`. A new group starts at the earliest message still in the
 * log (as Kafka with auto.offset.reset=earliest), so nothing published before it subscribed is missed.
 *
 * A message is committed only after its handler succeeded or its dead-letter copy was written, so
 * a crash redelivers what was in flight. One process owns the file (no cross-process locking here).
 */
export class SqliteEventBus implements EventBus {
  private readonly partitions: number;
  private readonly logger: EventBusLogger;
  // Wakes the consumer loops of a topic as soon as a publish to it commits; polling is the fallback.
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private readonly subscriptions = new Set<SqliteSubscription<unknown>>();
  private state: State = 'new';
  private log: SqliteMessageLog | undefined;
  private runtime: ConsumerRuntime | undefined;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  /** Appended with a deferred sync, waiting for the next WAL sync to become durable. */
  private unsynced: AppendedPosition[] = [];
  private readonly walSync = new GroupSync(() => this.syncWal());
  /** Flushes whose WAL sync has not returned yet (close waits for them). */
  private readonly syncing = new Set<Promise<void>>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: SqliteEventBusOptions) {
    this.partitions = options.partitions ?? 4;
    this.logger = options.logger ?? NOOP_EVENT_BUS_LOGGER;
    if (!Number.isInteger(this.partitions) || this.partitions < 1) {
      throw new RangeError(`partitions must be an integer >= 1, got ${this.partitions}`);
    }
  }

  async start(topics: readonly TopicDefinition<unknown>[]): Promise<void> {
    if (this.state !== 'new' && this.state !== 'started') {
      throw new EventBusError('CLOSED', 'the event bus is closed', false);
    }
    try {
      this.log ??= new SqliteMessageLog(this.options.file, this.options.busyTimeoutMs ?? 2000);
      for (const topic of topics) {
        this.log.ensureTopic(topic.name, this.partitions);
        this.log.ensureTopic(deadLetterTopicName(topic.name), this.partitions);
      }
    } catch (error) {
      throw new EventBusError(
        'START_FAILED',
        `cannot open the event log ${this.options.file}: ${describe(error)}`,
        true,
        {
          cause: error,
        },
      );
    }
    if (this.state === 'new') {
      this.runtime = this.createRuntime(this.log);
      this.state = 'started';
      this.startRetention();
      this.logger.info({ file: this.options.file, topics: topics.map((t) => t.name) }, 'event bus started');
    }
  }

  async publish<T>(topic: TopicDefinition<T>, event: T, options?: PublishOptions): Promise<void> {
    this.assertWritable();
    const { key, value } = encodeEvent(topic, event);
    await tracePublish({ system: SQLITE_SYSTEM, topic: topic.name }, options?.headers ?? {}, (headers) =>
      this.enqueue({ topic: topic.name, key, value, headers }),
    );
  }

  subscribe<T>(
    topic: TopicDefinition<T>,
    handler: MessageHandler<T>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    return this.join(topic, ([message]) => handler(message!), resolveSubscribeOptions(options));
  }

  subscribeBatch<T>(
    topic: TopicDefinition<T>,
    handler: BatchHandler<T>,
    options: BatchSubscribeOptions,
  ): Promise<Subscription> {
    return this.join(topic, handler, resolveBatchSubscribeOptions(options));
  }

  private async join<T>(
    topic: TopicDefinition<T>,
    handler: BatchHandler<T>,
    resolved: ResolvedSubscribeOptions,
  ): Promise<Subscription> {
    if (this.state !== 'started' || !this.runtime) {
      const code = this.state === 'new' ? 'NOT_STARTED' : 'CLOSED';
      throw new EventBusError(code, `cannot subscribe: the event bus is ${this.state}`, false);
    }
    for (const existing of this.subscriptions) {
      if (existing.topic === topic.name && existing.group === resolved.group) {
        // Kafka would split the partitions between both; a process owning the whole log has no use for it.
        throw new EventBusError(
          'SUBSCRIBE_FAILED',
          `group ${resolved.group} already consumes ${topic.name} here`,
          false,
        );
      }
    }
    let nextOffsets: number[];
    try {
      const partitions = this.runtime.log.ensureTopic(topic.name, this.partitions);
      nextOffsets = this.runtime.log.joinGroup(resolved.group, topic.name, partitions);
    } catch (error) {
      throw new EventBusError('SUBSCRIBE_FAILED', `cannot join group ${resolved.group} on ${topic.name}`, true, {
        cause: error,
      });
    }
    const subscription = new SqliteSubscription(this.runtime, topic, handler, resolved, nextOffsets);
    this.subscriptions.add(subscription as SqliteSubscription<unknown>);
    this.logger.info(
      { topic: topic.name, group: resolved.group, partitions: nextOffsets.length },
      'subscription joined',
    );
    return subscription;
  }

  health(): EventBusHealth {
    const connected = (this.state === 'started' || this.state === 'closing') && this.log?.isOpen === true;
    return {
      connected,
      subscriptions: [...this.subscriptions].map((s) => ({
        topic: s.topic,
        group: s.group,
        joined: connected && s.joined,
      })),
    };
  }

  close(): Promise<void> {
    if (this.state === 'new') this.state = 'closed';
    if (this.state === 'closed' || this.state === 'crashed') return this.closing ?? Promise.resolve();
    this.closing ??= this.closeGracefully();
    return this.closing;
  }

  /**
   * For tests: stops as a killed process would. In-flight handlers are abandoned (nothing they do
   * later is committed), queued publishes are refused, the database is closed as it is.
   */
  simulateCrash(): void {
    if (this.state === 'closed' || this.state === 'crashed') return;
    this.state = 'crashed';
    for (const subscription of this.subscriptions) subscription.abandon();
    this.subscriptions.clear();
    this.stopRetention();
    this.rejectPending(new EventBusError('CLOSED', 'the event bus crashed', false));
    this.appended.removeAllListeners();
    this.log?.close();
  }

  /** Runs the retention sweep now (it also runs every retentionIntervalMs); returns how many messages it deleted. */
  deleteExpiredMessages(now = Date.now()): number {
    if (!this.log?.isOpen || this.options.retentionDays === undefined) return 0;
    return this.log.deleteExpired(now - this.options.retentionDays * 24 * 3600 * 1000);
  }

  private createRuntime(log: SqliteMessageLog): ConsumerRuntime {
    return {
      log,
      logger: this.logger,
      pollIntervalMs: this.options.pollIntervalMs ?? 1000,
      fetchBatchSize: this.options.fetchBatchSize ?? 100,
      shutdownTimeoutMs: this.options.shutdownTimeoutMs ?? 30_000,
      partitionsOfNewTopics: this.partitions,
      waitForAppend: (topic, timeoutMs, signal) =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            this.appended.off(topic, done);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          this.appended.on(topic, done);
          signal.addEventListener('abort', done, { once: true });
        }),
      notifyAppended: (topics) => {
        for (const topic of new Set(topics)) this.appended.emit(topic);
      },
      forget: (subscription) => this.subscriptions.delete(subscription),
    };
  }

  private assertWritable(): void {
    // Publishing stays open while closing: the handlers close() waits for may publish their results.
    if (this.state === 'new') throw new EventBusError('NOT_STARTED', 'publish before start()', false);
    if (this.state === 'failed') {
      throw new EventBusError(
        'PUBLISH_FAILED',
        'the event log could not be synced to disk: restart the process',
        false,
      );
    }
    if (this.state !== 'started' && this.state !== 'closing') {
      throw new EventBusError('CLOSED', 'the event bus is closed', false);
    }
  }

  /**
   * Group commit: the publishes of one turn of the event loop share one transaction, committed at
   * once without fsync; then one fdatasync of the WAL, on the thread pool, covers it and every
   * transaction committed while the previous fdatasync ran. Each publish resolves only after the
   * fdatasync that covers it: the event loop never waits for the disk, and a burst of publishes
   * from concurrent requests costs a few fsyncs, not one each.
   */
  private enqueue(request: AppendRequest): Promise<void> {
    this.assertWritable();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (!this.log?.isOpen || (this.state !== 'started' && this.state !== 'closing')) {
      const failure =
        this.state === 'failed'
          ? new EventBusError('PUBLISH_FAILED', 'the event log could not be synced to disk: restart the process', false)
          : new EventBusError('CLOSED', 'the event bus is closed', false);
      for (const item of batch) item.reject(failure);
      return;
    }
    let positions: AppendedPosition[];
    try {
      positions = this.log.append(
        batch.map((item) => item.request),
        this.partitions,
        'deferred',
      );
    } catch (error) {
      const failure = new EventBusError('PUBLISH_FAILED', `cannot append to the event log: ${describe(error)}`, true, {
        cause: error,
      });
      this.logger.error({ file: this.options.file, messages: batch.length, error: describe(error) }, 'publish failed');
      for (const item of batch) item.reject(failure);
      return;
    }
    this.unsynced.push(...positions);
    const synced = this.walSync.sync().then(
      () => {
        for (const item of batch) item.resolve();
        this.runtime?.notifyAppended(batch.map((item) => item.request.topic));
      },
      (error: unknown) => {
        for (const item of batch) {
          item.reject(
            new EventBusError(
              'PUBLISH_FAILED',
              `the event log could not be synced to disk: ${describe(error)}`,
              false,
              {
                cause: error,
              },
            ),
          );
        }
      },
    );
    this.syncing.add(synced);
    void synced.finally(() => this.syncing.delete(synced));
  }

  /** One fdatasync of the WAL for every append made before it started. */
  private async syncWal(): Promise<void> {
    const positions = this.unsynced;
    this.unsynced = [];
    const log = this.log;
    if (!log?.isOpen) throw new EventBusError('CLOSED', 'the event bus is closed', false);
    try {
      await log.syncWal(positions);
    } catch (error) {
      // After a failed fsync the kernel may have dropped the pages it could not write, and later
      // commits build on them: nothing more is acknowledged until a restart recovers the log.
      if (this.state === 'started' || this.state === 'closing') this.state = 'failed';
      this.logger.error({ file: this.options.file, error: describe(error) }, 'event log sync failed: publishing stops');
      throw error;
    }
  }

  private rejectPending(error: EventBusError): void {
    const batch = this.pending;
    this.pending = [];
    for (const item of batch) item.reject(error);
  }

  private async closeGracefully(): Promise<void> {
    if (this.state === 'failed') {
      for (const subscription of this.subscriptions) subscription.abandon();
      this.subscriptions.clear();
      this.stopRetention();
      this.state = 'closed';
      this.appended.removeAllListeners();
      this.log?.close();
      return;
    }
    this.state = 'closing';
    this.stopRetention();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.state !== 'closing') return; // crashed or failed meanwhile
    // What the last handlers published is committed and synced before the database closes.
    this.flush();
    await Promise.all([...this.syncing]);
    if ((this.state as State) === 'crashed') return;
    this.state = 'closed';
    this.appended.removeAllListeners();
    this.log?.close();
    this.logger.info({ file: this.options.file }, 'event bus closed');
  }

  private startRetention(): void {
    if (this.options.retentionDays === undefined) return;
    const sweep = (): void => {
      try {
        const deleted = this.deleteExpiredMessages();
        if (deleted > 0)
          this.logger.info({ deleted, retentionDays: this.options.retentionDays }, 'expired messages deleted');
      } catch (error) {
        this.logger.warn({ error: describe(error) }, 'retention sweep failed');
      }
    };
    sweep();
    this.retentionTimer = setInterval(sweep, this.options.retentionIntervalMs ?? 3600_000);
    // The sweep alone must not keep the process alive.
    this.retentionTimer.unref();
  }

  private stopRetention(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
  }
}
