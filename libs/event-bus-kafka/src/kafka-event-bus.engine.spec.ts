import type { TopicDefinition } from '@pacs/contracts';
import { runEventBusContract, waitFor } from '@pacs/event-bus/testing';
import { z } from 'zod';
import { engineEnv, uniqueName } from '@pacs/testing';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.adapter';

const brokers = engineEnv('PACS_KAFKA_BROKERS').split(',');

// Short group timeouts: a single local broker, and tests that join and leave groups all the time.
function open(overrides: Partial<KafkaEventBusOptions> = {}): KafkaEventBus {
  return new KafkaEventBus({
    brokers,
    clientId: uniqueName('contract'),
    partitions: 3,
    replicationFactor: 1,
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 6000,
    joinTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    ...overrides,
  });
}

runEventBusContract('Kafka', {
  async create() {
    return open();
  },
  async restartAfterCrash(bus) {
    await (bus as KafkaEventBus).simulateCrash();
    return open();
  },
  async createFailingPublisher() {
    // Nothing listens on port 1: every connection attempt is refused.
    const bus = open({ brokers: ['127.0.0.1:1'] });
    return { bus, release: () => bus.close() };
  },
  testTimeoutMs: 60_000,
  deliveryTimeoutMs: 30_000,
  publishFailureTimeoutMs: 10_000,
});

describe('KafkaEventBus (Kafka specifics)', () => {
  const Step = z.object({ seq: z.number().int(), key: z.string() });
  const topic: TopicDefinition<z.infer<typeof Step>> = {
    name: `pacs.kafka.${uniqueName('slow')}.v1`,
    schema: Step,
    key: (event) => event.key,
  };
  let bus: KafkaEventBus;
  afterEach(() => bus.close());

  it('keeps its partitions while a handler runs longer than the session timeout', async () => {
    bus = open();
    await bus.start([topic]);
    const deliveries: number[] = [];
    let rebalanced = false;
    await bus.subscribe(
      topic,
      async ({ value }) => {
        deliveries.push(value.seq);
        // 6 s session timeout: without heartbeats during the handler, the broker would evict
        // the member and the commit below would fail, redelivering the message.
        if (value.seq === 0) await new Promise((resolve) => setTimeout(resolve, 8000));
      },
      { group: uniqueName('slow') },
    );
    const watch = setInterval(() => {
      if (!bus.health().subscriptions.every((s) => s.joined)) rebalanced = true;
    }, 50);
    try {
      await bus.publish(topic, { seq: 0, key: 'k' });
      await bus.publish(topic, { seq: 1, key: 'k' });
      await waitFor(() => deliveries.includes(1), 20_000, 'the event after the slow one');
    } finally {
      clearInterval(watch);
    }
    expect(deliveries).toEqual([0, 1]);
    expect(rebalanced).toBe(false);
  }, 30_000);

  it('publishes to every partition as soon as start() resolves, also when another process created the topics', async () => {
    // Two services starting at once on new topics: one creates them, the other finds them there
    // while the controller may still be electing their leaders. Without retries, a publish made
    // before every partition has a leader fails (a single retry at once, as the idempotent producer needs one).
    const fresh = Array.from({ length: 4 }, (_, i) => ({ ...topic, name: `pacs.kafka.${uniqueName(`fresh${i}`)}.v1` }));
    const eager = { partitions: 12, retry: { retries: 1, initialRetryTime: 1, maxRetryTime: 1 } };
    const first = open(eager);
    bus = open(eager);
    try {
      await Promise.all([first.start(fresh), bus.start(fresh)]);
      const keys = Array.from({ length: 48 }, (_, i) => `key-${i}`);
      for (const publisher of [first, bus]) {
        for (const definition of fresh) {
          await Promise.all(keys.map((key, seq) => publisher.publish(definition, { seq, key })));
        }
      }
    } finally {
      await first.close();
    }
  }, 60_000);
});

