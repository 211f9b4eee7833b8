import type { ConnectionOptions } from 'node:tls';
import type { TopicDefinition } from '@pacs/contracts';
import {
  deadLetterTopicName,
  encodeEvent,
  EventBusError,
  NOOP_EVENT_BUS_LOGGER,
  resolveBatchSubscribeOptions,
  resolveSubscribeOptions,
  tracePublish,
  type EventBus,
  type EventBusHealth,
  type EventBusLogger,
  type BatchHandler,
  type BatchSubscribeOptions,
  type MessageHandler,
  type PublishOptions,
  type ResolvedSubscribeOptions,
  type SubscribeOptions,
  type Subscription,
} from '@pacs/event-bus';
import {
  Kafka,
  Partitioners,
  type Admin,
  type Message,
  type Producer,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs';
import { KAFKA_LOG_LEVELS, kafkaLogCreator, type KafkaLogLevel } from './kafka-log-creator';
import { KAFKA_SYSTEM, KafkaSubscription, type KafkaSubscriptionRuntime } from './kafka-subscription';

export interface KafkaEventBusOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Client id the brokers see (logs, quotas). */
  readonly clientId: string;
  /** Partitions of the topics start() creates (default 6); existing topics are left as they are. */
  readonly partitions?: number;
  /** Replication factor of the topics start() creates (default: the broker's default.replication.factor). */
  readonly replicationFactor?: number;
  /** TLS to the brokers. */
  readonly ssl?: ConnectionOptions | boolean;
  /** SASL authentication. */
  readonly sasl?: SASLOptions;
  /** A consumer silent this long leaves the group (default 30 s; brokers refuse below 6 s). */
  readonly sessionTimeoutMs?: number;
  /** Consumer heartbeat period, well under sessionTimeoutMs (default 3 s). */
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for its members to rejoin in a rebalance (default 60 s). */
  readonly rebalanceTimeoutMs?: number;
  /** subscribe() fails if the group is not joined within this (default 60 s). */
  readonly joinTimeoutMs?: number;
  /** TCP connect timeout (default 3 s). */
  readonly connectionTimeoutMs?: number;
  /** Broker request timeout (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Upper bound of a publish, retries included; past it the publish rejects PUBLISH_FAILED (default 10 s). */
  readonly publishTimeoutMs?: number;
  /** kafkajs retries of connections and requests (default: 3 retries from 100 ms, at most 1 s apart). */
  readonly retry?: RetryOptions;
  /** close() abandons handlers still running after this long; their messages are delivered again later (default 30 s). */
  readonly shutdownTimeoutMs?: number;
  /** kafkajs's own log lines forwarded to the logger (default 'error'). */
  readonly kafkaLogLevel?: KafkaLogLevel;
  /** Default: silent. */
  readonly logger?: EventBusLogger;
}

type State = 'new' | 'started' | 'closing' | 'closed' | 'crashed';

// Bounded on purpose: kafkajs's default for an idempotent producer is to retry forever, and a
// publish must fail in seconds (the caller answers a DICOM or HTTP client that is waiting). Bounded
// retries weaken only exactly-once (kafkajs warns so); at-least-once is all the platform relies on.
const DEFAULT_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 };

/**
 * The distributed EventBus on Kafka (kafkajs). Publishes go through one idempotent producer with
 * acks=all, so a resolved publish is on every in-sync replica. Each subscription is its own
 * consumer: offsets are committed by hand after the handler (or the dead-letter copy) succeeded,
 * so delivery is at least once; a new group starts at the earliest offset. The producer connects on
 * first use, so publish() works (or fails with PUBLISH_FAILED) even before start().
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly logger: EventBusLogger;
  private readonly partitions: number;
  private readonly retry: RetryOptions;
  private readonly subscriptions = new Set<KafkaSubscription<unknown>>();
  private readonly provisioned = new Set<string>();
  private readonly runtime: KafkaSubscriptionRuntime;
  private state: State = 'new';
  private producerConnected = false;
  // kafkajs reports no disconnection when a broker dies under a connected producer: the outcome
  // of the last send is what tells readiness that publishing does not work.
  private lastSendFailed = false;
  private producerConnecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.logger = options.logger ?? NOOP_EVENT_BUS_LOGGER;
    this.partitions = options.partitions ?? 6;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: options.clientId,
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      retry: this.retry,
      logLevel: KAFKA_LOG_LEVELS[options.kafkaLogLevel ?? 'error'],
      logCreator: kafkaLogCreator(this.logger),
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      // One request in flight per broker connection: a retried batch can never overtake the next
      // one, so per-key order holds whatever kafkajs's sequence-number handling does on retries.
      maxInFlightRequests: 1,
      retry: this.retry,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.producerConnected = true;
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.producerConnected = false;
      this.producerConnecting = undefined;
    });
    this.admin = this.kafka.admin({ retry: this.retry });
    this.runtime = {
      logger: this.logger,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
      joinTimeoutMs: options.joinTimeoutMs ?? 60_000,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
      partitions: this.partitions,
      send: (topic, messages) => this.send(topic, messages),
      forget: (subscription) => this.subscriptions.delete(subscription),
    };
  }

  async start(topics: readonly TopicDefinition<unknown>[]): Promise<void> {
    if (this.state !== 'new' && this.state !== 'started') {
      throw new EventBusError('CLOSED', 'the event bus is closed', false);
    }
    const names = topics.flatMap((topic) => [topic.name, deadLetterTopicName(topic.name)]);
    try {
      await this.ensureTopics(names);
      await this.connectProducer();
    } catch (error) {
      throw new EventBusError('START_FAILED', `cannot start the Kafka event bus: ${describe(error)}`, true, {
        cause: error,
      });
    }
    if (this.state === 'new') {
      this.state = 'started';
      this.logger.info({ brokers: this.options.brokers, topics: names }, 'event bus started');
    }
  }

  async publish<T>(topic: TopicDefinition<T>, event: T, options?: PublishOptions): Promise<void> {
    this.assertWritable();
    const { key, value } = encodeEvent(topic, event);
    await tracePublish({ system: KAFKA_SYSTEM, topic: topic.name }, options?.headers ?? {}, (headers) =>
      this.send(topic.name, [{ key, value, headers }]),
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
    if (this.state !== 'started') {
      const code = this.state === 'new' ? 'NOT_STARTED' : 'CLOSED';
      throw new EventBusError(code, `cannot subscribe: the event bus is ${this.state}`, false);
    }
    try {
      // The dead-letter topic of a topic that start() was not given (a `.dlq` itself, say).
      await this.ensureTopics([topic.name, deadLetterTopicName(topic.name)]);
    } catch (error) {
      throw new EventBusError('SUBSCRIBE_FAILED', `cannot provision ${topic.name}: ${describe(error)}`, true, {
        cause: error,
      });
    }
    const groupId = kafkaGroupId(resolved.group, topic.name);
    try {
      await this.awaitGroupCoordinator(groupId);
    } catch (error) {
      throw new EventBusError('SUBSCRIBE_FAILED', `no group coordinator for ${groupId}: ${describe(error)}`, true, {
        cause: error,
      });
    }
    const consumer = this.kafka.consumer({
      // One Kafka group per (group, topic): members of one Kafka group subscribed to different
      // topics would be handed each other's partitions by the assignor, and leave them unread.
      groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.runtime.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      // A short fetch wait keeps close() quick: kafkajs finishes the pending fetch before leaving.
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: this.retry,
    });
    const subscription = new KafkaSubscription(this.runtime, consumer, topic, handler, resolved);
    this.subscriptions.add(subscription as KafkaSubscription<unknown>);
    try {
      await subscription.start();
    } catch (error) {
      this.subscriptions.delete(subscription as KafkaSubscription<unknown>);
      throw error;
    }
    this.logger.info({ topic: topic.name, group: resolved.group }, 'subscription joined');
    return subscription;
  }

  health(): EventBusHealth {
    const connected =
      (this.state === 'started' || this.state === 'closing') && this.producerConnected && !this.lastSendFailed;
    return {
      connected,
      subscriptions: [...this.subscriptions].map((s) => ({ topic: s.topic, group: s.group, joined: s.joined })),
    };
  }

  close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'crashed') return this.closing ?? Promise.resolve();
    this.closing ??= this.closeGracefully();
    return this.closing;
  }

  /**
   * For tests: stops as a crashed process would, as far as the group can tell. In-flight handlers
   * are abandoned and nothing more is committed. The consumers still leave their groups (a killed
   * process would instead be evicted after sessionTimeoutMs): the outcome is the same, only sooner.
   */
  async simulateCrash(): Promise<void> {
    if (this.state === 'closed' || this.state === 'crashed') return;
    this.state = 'crashed';
    await Promise.all([...this.subscriptions].map((subscription) => subscription.abandon()));
    await this.disconnectClients();
  }

  /**
   * Waits until the broker names a coordinator for the group. A broker that has just started
   * answers "coordinator not available" for seconds while it creates its offsets topic, and a
   * kafkajs consumer whose first lookup fails that way crashes for good.
   */
  private async awaitGroupCoordinator(groupId: string): Promise<void> {
    const deadline = Date.now() + this.runtime.joinTimeoutMs;
    await this.admin.connect();
    for (;;) {
      try {
        await this.admin.describeGroups([groupId]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Creates the topics that do not exist yet; existing ones keep their settings. */
  private async ensureTopics(names: readonly string[]): Promise<void> {
    const unknown = names.filter((name) => !this.provisioned.has(name));
    if (unknown.length === 0) return;
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = unknown.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      // Resolves false when another instance created them meanwhile: fine, they exist.
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.partitions,
          replicationFactor: this.options.replicationFactor ?? -1,
        })),
      });
    }
    await this.awaitLeaders(unknown);
    for (const name of unknown) this.provisioned.add(name);
  }

  /**
   * Waits until every partition of the topics has a leader that serves it. kafkajs waits for the
   * leaders only of the topics its own call created: when another process created them a moment
   * before (two services starting on a new cluster), it returns at once, and a publish made right
   * then fails with "not the leader" until the controller has elected them and the broker has
   * taken them on. The metadata names a leader before that, so the probe is an offset lookup,
   * which only the partition's serving leader answers.
   */
  private async awaitLeaders(names: readonly string[]): Promise<void> {
    const deadline = Date.now() + this.runtime.joinTimeoutMs;
    for (;;) {
      try {
        await Promise.all(names.map((name) => this.admin.fetchTopicOffsets(name)));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `the partitions of ${names.join(', ')} have no serving leader after ${this.runtime.joinTimeoutMs} ms: ${describe(error)}`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private assertWritable(): void {
    // Publishing stays open while closing: the handlers close() waits for may publish their results.
    if (this.state === 'closed' || this.state === 'crashed') {
      throw new EventBusError('CLOSED', 'the event bus is closed', false);
    }
  }

  /**
   * Sends with acks=all. The producer connects on first use (and again after a failure), so that a
   * broker that comes back is picked up, and so that a publish fails with PUBLISH_FAILED (not a
   * state error) when the brokers are unreachable.
   */
  private async send(topic: string, messages: Message[]): Promise<void> {
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const sending = (async () => {
        await this.connectProducer();
        await this.producer.send({ topic, acks: -1, messages });
      })();
      // A send that outlives the bound may still succeed later; the caller then retries and the
      // consumers see a duplicate, which at-least-once delivery allows.
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([sending, timedOut]);
      this.lastSendFailed = false;
    } catch (error) {
      this.lastSendFailed = true;
      this.logger.error({ topic, messages: messages.length, error: describe(error) }, 'publish failed');
      throw new EventBusError('PUBLISH_FAILED', `cannot publish to ${topic}: ${describe(error)}`, true, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private connectProducer(): Promise<void> {
    if (this.producerConnected) return Promise.resolve();
    this.producerConnecting ??= this.producer.connect().catch((error: unknown) => {
      this.producerConnecting = undefined;
      throw error;
    });
    return this.producerConnecting;
  }

  private async closeGracefully(): Promise<void> {
    this.state = 'closing';
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.state !== 'closing') return; // crashed meanwhile
    await this.disconnectClients();
    this.state = 'closed';
    this.logger.info({ brokers: this.options.brokers }, 'event bus closed');
  }

  private async disconnectClients(): Promise<void> {
    const results = await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.producerConnected = false;
    for (const result of results) {
      if (result.status === 'rejected') {
        this.logger.warn({ error: describe(result.reason) }, 'kafka client disconnect failed');
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Kafka consumer group of a port group on a topic: `<group>.<topic>` (what kafka-consumer-groups lists). */
export function kafkaGroupId(group: string, topic: string): string {
  return `${group}.${topic}`;
}
