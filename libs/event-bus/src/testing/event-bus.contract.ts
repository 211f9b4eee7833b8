import { deadLetterTopic, type TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { uniqueName } from '@pacs/testing';
import { EventBusError, NonRetriableError } from '../event-bus.errors';
import { DLQ_HEADERS, type DeliveredMessage, type EventBus } from '../event-bus.port';
import { runBatchSubscriptionContract } from './batch-subscription.contract';
import { activeTraceMarker, installTestTracing, TEST_TRACE_HEADER, withTraceMarker } from './trace-fixtures';
import { deferred, waitFor } from './wait-for';

/** How the contract suite gets buses of one adapter. */
export interface EventBusHarness {
  /** A new bus, not started: on a fresh store (SQLite: a new file) or on the shared engine (Kafka). */
  create(): Promise<EventBus>;
  /**
   * Kills `bus` as a crashed process would die (in-flight handlers abandoned, nothing more
   * committed; a no-op if it was closed already) and returns a new, unstarted bus on the same
   * durable state, as the restarted process would open it.
   */
  restartAfterCrash(bus: EventBus): Promise<EventBus>;
  /**
   * A bus whose publishes of `topic` cannot be made durable (SQLite: the database is locked by
   * another writer; Kafka: the broker is unreachable), and how to undo that.
   */
  createFailingPublisher(topic: TopicDefinition<unknown>): Promise<{ bus: EventBus; release(): Promise<void> }>;
  /** Jest timeout of each test (default 20 s; Kafka's group joins are slower). */
  readonly testTimeoutMs?: number;
  /** How long a delivery may take to show up (default 10 s). */
  readonly deliveryTimeoutMs?: number;
  /** How fast a failing publish must be reported (default 10 s). */
  readonly publishFailureTimeoutMs?: number;
}

const TestEvent = z.object({ id: z.string(), key: z.string(), seq: z.number().int().nonnegative() });
type TestEvent = z.infer<typeof TestEvent>;

// Built by hand rather than with defineTopic: unique names carry digits, which the production
// naming rule (letters only) refuses.
function testTopic(label: string): TopicDefinition<TestEvent> {
  return { name: `pacs.contract.${uniqueName(label)}.v1`, schema: TestEvent, key: (event) => event.key };
}

function event(key: string, seq: number): TestEvent {
  return { id: `${key}-${seq}`, key, seq };
}

// Small backoffs: retries must not slow the suite down.
const FAST_RETRIES = { retryBackoffMs: 5, maxRetryBackoffMs: 20 } as const;

/**
 * The behaviour every EventBus adapter must have. Call it from the adapter's spec with a harness;
 * every test uses its own topic and group names, so the suite can share one engine.
 */
export function runEventBusContract(adapterName: string, harness: EventBusHarness): void {
  const testTimeout = harness.testTimeoutMs ?? 20_000;
  const deliveryTimeout = harness.deliveryTimeoutMs ?? 10_000;
  const publishFailureTimeout = harness.publishFailureTimeoutMs ?? 10_000;

  describe(`EventBus contract: ${adapterName}`, () => {
    let buses: EventBus[] = [];

    async function newBus(): Promise<EventBus> {
      const bus = await harness.create();
      buses.push(bus);
      return bus;
    }

    async function restart(bus: EventBus): Promise<EventBus> {
      const next = await harness.restartAfterCrash(bus);
      buses.push(next);
      return next;
    }

    afterEach(async () => {
      const open = buses;
      buses = [];
      await Promise.allSettled(open.map((bus) => bus.close()));
    });

    it(
      `${adapterName}: keeps each key's order (3 keys x 50 events, interleaved)`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('order');
        await bus.start([topic]);
        const received = new Map<string, number[]>();
        await bus.subscribe(
          topic,
          async ({ value }) => {
            // Yield, so that partitions handled concurrently really interleave.
            await new Promise((resolve) => setImmediate(resolve));
            received.set(value.key, [...(received.get(value.key) ?? []), value.seq]);
          },
          { group: uniqueName('order'), ...FAST_RETRIES },
        );
        const keys = ['study-a', 'study-b', 'study-c'];
        for (let seq = 0; seq < 50; seq++) {
          for (const key of keys) await bus.publish(topic, event(key, seq));
        }
        const expected = Array.from({ length: 50 }, (_, seq) => seq);
        await waitFor(
          () => keys.every((key) => (received.get(key)?.length ?? 0) >= 50),
          deliveryTimeout,
          'all 150 events',
        );
        for (const key of keys) expect(received.get(key)).toEqual(expected);
      },
      testTimeout,
    );

    it(
      `${adapterName}: one group on two topics gets each topic's messages in its own handler`,
      async () => {
        const bus = await newBus();
        const first = testTopic('group-first');
        const second = testTopic('group-second');
        await bus.start([first, second]);
        const group = uniqueName('two-topics');
        const got: Record<string, string[]> = { first: [], second: [] };
        await bus.subscribe(first, async ({ value }) => void got['first']!.push(value.id), { group, ...FAST_RETRIES });
        await bus.subscribe(second, async ({ value }) => void got['second']!.push(value.id), {
          group,
          ...FAST_RETRIES,
        });
        for (let seq = 0; seq < 6; seq++) {
          await bus.publish(first, event(`study-${seq}`, seq));
          await bus.publish(second, event(`study-${seq}`, seq + 100));
        }
        await waitFor(
          () => got['first']!.length === 6 && got['second']!.length === 6,
          deliveryTimeout,
          'six events on each topic',
        );
        expect(got['first']!.sort()).toEqual(Array.from({ length: 6 }, (_, seq) => `study-${seq}-${seq}`).sort());
        expect(got['second']!.sort()).toEqual(
          Array.from({ length: 6 }, (_, seq) => `study-${seq}-${seq + 100}`).sort(),
        );
      },
      testTimeout,
    );

    it(
      `${adapterName}: delivers the key, the value and the publisher's headers`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('payload');
        await bus.start([topic]);
        const received: DeliveredMessage<TestEvent>[] = [];
        await bus.subscribe(topic, async (message) => void received.push(message), {
          group: uniqueName('payload'),
          ...FAST_RETRIES,
        });
        await bus.publish(topic, event('study-1', 7), { headers: { 'x-correlation-id': 'corr-1' } });
        await waitFor(() => received.length === 1, deliveryTimeout, 'the event');
        const [message] = received;
        expect(message).toMatchObject({ topic: topic.name, key: 'study-1', value: event('study-1', 7), attempt: 1 });
        expect(message!.headers['x-correlation-id']).toBe('corr-1');
        expect(Number.isInteger(message!.partition)).toBe(true);
        expect(message!.offset).toMatch(/^\d+$/);
      },
      testTimeout,
    );

    it(
      `${adapterName}: gives every message to each of two groups`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('groups');
        await bus.start([topic]);
        const first: string[] = [];
        const second: string[] = [];
        await bus.subscribe(topic, async ({ value }) => void first.push(value.id), { group: uniqueName('g1') });
        await bus.subscribe(topic, async ({ value }) => void second.push(value.id), { group: uniqueName('g2') });
        const ids: string[] = [];
        for (let seq = 0; seq < 10; seq++) {
          await bus.publish(topic, event(`study-${seq % 4}`, seq));
          ids.push(`study-${seq % 4}-${seq}`);
        }
        await waitFor(() => first.length >= 10 && second.length >= 10, deliveryTimeout, 'both groups');
        expect([...first].sort()).toEqual([...ids].sort());
        expect([...second].sort()).toEqual([...ids].sort());
      },
      testTimeout,
    );

    it(
      `${adapterName}: a new group starts from the earliest message`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('earliest');
        await bus.start([topic]);
        await bus.publish(topic, event('study-1', 0));
        const received: string[] = [];
        await bus.subscribe(topic, async ({ value }) => void received.push(value.id), { group: uniqueName('late') });
        await waitFor(() => received.length === 1, deliveryTimeout, 'the event published before subscribing');
        expect(received).toEqual(['study-1-0']);
      },
      testTimeout,
    );

    it(
      `${adapterName}: dead-letters a message whose handler fails maxAttempts times, and goes on`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('dlq');
        await bus.start([topic]);
        const group = uniqueName('dlq');
        const attempts: number[] = [];
        const handled: string[] = [];
        await bus.subscribe(
          topic,
          async ({ value, attempt }) => {
            if (value.seq === 0) {
              attempts.push(attempt);
              throw Object.assign(new Error('storage is on fire'), { code: 'E_ON_FIRE' });
            }
            handled.push(value.id);
          },
          { group, maxAttempts: 3, ...FAST_RETRIES },
        );
        const dead: DeliveredMessage<unknown>[] = [];
        await bus.subscribe(deadLetterTopic(topic), async (message) => void dead.push(message), {
          group: uniqueName('dlq-reader'),
        });

        await bus.publish(topic, event('study-1', 0), { headers: { 'x-correlation-id': 'corr-dlq' } });
        await bus.publish(topic, event('study-1', 1));
        await waitFor(
          () => dead.length === 1 && handled.length === 1,
          deliveryTimeout,
          'the dead letter and the next event',
        );

        expect(attempts).toEqual([1, 2, 3]);
        expect(handled).toEqual(['study-1-1']);
        const [letter] = dead;
        expect(letter!.topic).toBe(`${topic.name}.dlq`);
        expect(letter!.key).toBe('study-1');
        expect(letter!.value).toEqual(event('study-1', 0));
        expect(letter!.headers).toMatchObject({
          'x-correlation-id': 'corr-dlq',
          [DLQ_HEADERS.originalTopic]: topic.name,
          [DLQ_HEADERS.group]: group,
          [DLQ_HEADERS.errorCode]: 'E_ON_FIRE',
          [DLQ_HEADERS.errorMessage]: 'storage is on fire',
          [DLQ_HEADERS.attempts]: '3',
        });
        expect(Number.isNaN(Date.parse(letter!.headers[DLQ_HEADERS.failedAt]!))).toBe(false);
      },
      testTimeout,
    );

    it(
      `${adapterName}: dead-letters after one attempt on a NonRetriableError`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('nonretriable');
        await bus.start([topic]);
        let calls = 0;
        await bus.subscribe(
          topic,
          async () => {
            calls++;
            throw new NonRetriableError('UNKNOWN_SOP_CLASS', 'no index for this SOP class');
          },
          { group: uniqueName('nonretriable'), maxAttempts: 5, ...FAST_RETRIES },
        );
        const dead: DeliveredMessage<unknown>[] = [];
        await bus.subscribe(deadLetterTopic(topic), async (message) => void dead.push(message), {
          group: uniqueName('dlq-reader'),
        });
        await bus.publish(topic, event('study-1', 0));
        await waitFor(() => dead.length === 1, deliveryTimeout, 'the dead letter');
        expect(calls).toBe(1);
        expect(dead[0]!.headers).toMatchObject({
          [DLQ_HEADERS.errorCode]: 'UNKNOWN_SOP_CLASS',
          [DLQ_HEADERS.errorMessage]: 'no index for this SOP class',
          [DLQ_HEADERS.attempts]: '1',
        });
      },
      testTimeout,
    );

    it(
      `${adapterName}: refuses an invalid event on publish with INVALID_EVENT, publishing nothing`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('invalid-publish');
        await bus.start([topic]);
        const received: string[] = [];
        await bus.subscribe(topic, async ({ value }) => void received.push(value.id), { group: uniqueName('invalid') });

        const invalid = { id: 'bad', key: 'study-1', seq: -1 };
        const refusal = await bus.publish(topic, invalid).catch((error: unknown) => error);
        expect(refusal).toBeInstanceOf(EventBusError);
        expect(refusal).toMatchObject({ code: 'INVALID_EVENT', retriable: false });

        await bus.publish(topic, event('study-1', 1));
        await waitFor(() => received.length >= 1, deliveryTimeout, 'the valid event');
        expect(received).toEqual(['study-1-1']);
      },
      testTimeout,
    );

    it(
      `${adapterName}: dead-letters an invalid payload on receipt without calling the handler`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('invalid-receive');
        // Another producer (say, an older version) publishes under the same name with a laxer schema.
        const lax: TopicDefinition<unknown> = { name: topic.name, schema: z.unknown(), key: () => 'study-1' };
        await bus.start([topic]);
        const received: string[] = [];
        await bus.subscribe(topic, async ({ value }) => void received.push(value.id), {
          group: uniqueName('strict'),
          maxAttempts: 5,
          ...FAST_RETRIES,
        });
        const dead: DeliveredMessage<unknown>[] = [];
        await bus.subscribe(deadLetterTopic(topic), async (message) => void dead.push(message), {
          group: uniqueName('dlq-reader'),
        });
        await bus.publish(lax, { id: 'bad', seq: 'not a number' });
        await bus.publish(topic, event('study-1', 1));
        await waitFor(
          () => dead.length === 1 && received.length === 1,
          deliveryTimeout,
          'the dead letter and the valid event',
        );
        expect(received).toEqual(['study-1-1']);
        expect(dead[0]!.value).toEqual({ id: 'bad', seq: 'not a number' });
        expect(dead[0]!.headers).toMatchObject({
          [DLQ_HEADERS.errorCode]: 'INVALID_EVENT',
          [DLQ_HEADERS.attempts]: '0',
        });
      },
      testTimeout,
    );

    it(
      `${adapterName}: delivers again a message whose consumer died before committing, and not the committed one`,
      async () => {
        const topic = testTopic('crash');
        const group = uniqueName('crash');
        const first = await newBus();
        await first.start([topic]);
        const beforeCrash: string[] = [];
        await first.subscribe(
          topic,
          async ({ value }) => {
            beforeCrash.push(value.id);
            // The second event's handler never returns: the process dies in the middle of it.
            if (value.seq === 1) await new Promise<never>(() => undefined);
          },
          { group, ...FAST_RETRIES },
        );
        await first.publish(topic, event('study-1', 0));
        await first.publish(topic, event('study-1', 1));
        await waitFor(() => beforeCrash.length === 2, deliveryTimeout, 'both events to reach the first consumer');

        const second = await restart(first);
        await second.start([topic]);
        const afterRestart: string[] = [];
        await second.subscribe(topic, async ({ value }) => void afterRestart.push(value.id), {
          group,
          ...FAST_RETRIES,
        });
        await waitFor(() => afterRestart.length >= 1, deliveryTimeout, 'the redelivery');
        expect(afterRestart).toEqual(['study-1-1']);
      },
      testTimeout,
    );

    it(
      `${adapterName}: close() waits for the in-flight handler, whose message is then committed`,
      async () => {
        const topic = testTopic('close');
        const group = uniqueName('close');
        const bus = await newBus();
        await bus.start([topic]);
        const started = deferred();
        let finished = false;
        await bus.subscribe(
          topic,
          async () => {
            started.resolve();
            await new Promise((resolve) => setTimeout(resolve, 300));
            finished = true;
          },
          { group, ...FAST_RETRIES },
        );
        await bus.publish(topic, event('study-1', 0));
        await started.promise;
        await bus.close();
        expect(finished).toBe(true);

        const reopened = await restart(bus);
        await reopened.start([topic]);
        const received: string[] = [];
        await reopened.subscribe(topic, async ({ value }) => void received.push(value.id), { group });
        await reopened.publish(topic, event('study-1', 1));
        await waitFor(() => received.length >= 1, deliveryTimeout, 'the next event');
        expect(received).toEqual(['study-1-1']);
      },
      testTimeout,
    );

    it(
      `${adapterName}: reports a publish that cannot be made durable (PUBLISH_FAILED, retriable)`,
      async () => {
        const topic = testTopic('unwritable');
        const { bus, release } = await harness.createFailingPublisher(topic);
        buses.push(bus);
        try {
          const started = Date.now();
          const failure = await bus.publish(topic, event('study-1', 0)).catch((error: unknown) => error);
          expect(Date.now() - started).toBeLessThan(publishFailureTimeout);
          expect(failure).toBeInstanceOf(EventBusError);
          expect(failure).toMatchObject({ code: 'PUBLISH_FAILED', retriable: true });
        } finally {
          await release();
        }
      },
      testTimeout,
    );

    it(
      `${adapterName}: rejects a publish after close with CLOSED`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('closed');
        await bus.start([topic]);
        await bus.close();
        await expect(bus.publish(topic, event('study-1', 0))).rejects.toMatchObject({
          name: 'EventBusError',
          code: 'CLOSED',
        });
      },
      testTimeout,
    );

    it(
      `${adapterName}: health() shows the connection and the joined subscriptions`,
      async () => {
        const bus = await newBus();
        const topic = testTopic('health');
        const group = uniqueName('health');
        await bus.start([topic]);
        expect(bus.health()).toEqual({ connected: true, subscriptions: [] });
        const subscription = await bus.subscribe(topic, async () => undefined, { group });
        expect(bus.health()).toEqual({ connected: true, subscriptions: [{ topic: topic.name, group, joined: true }] });
        await subscription.close();
        expect(bus.health().subscriptions).toEqual([]);
        await bus.close();
        expect(bus.health().connected).toBe(false);
      },
      testTimeout,
    );

    it(
      `${adapterName}: carries the trace context from the publisher to the handler`,
      async () => {
        const uninstall = installTestTracing();
        try {
          const bus = await newBus();
          const topic = testTopic('trace');
          await bus.start([topic]);
          const seen: { marker: string | undefined; header: string | undefined }[] = [];
          await bus.subscribe(
            topic,
            async (message) =>
              void seen.push({ marker: activeTraceMarker(), header: message.headers[TEST_TRACE_HEADER] }),
            { group: uniqueName('trace') },
          );
          await withTraceMarker('trace-4bf92f35', () => bus.publish(topic, event('study-1', 0)));
          await waitFor(() => seen.length === 1, deliveryTimeout, 'the event');
          expect(seen).toEqual([{ marker: 'trace-4bf92f35', header: 'trace-4bf92f35' }]);
        } finally {
          uninstall();
        }
      },
      testTimeout,
    );

    runBatchSubscriptionContract(adapterName, {
      newBus,
      restart,
      testTimeout,
      deliveryTimeout,
    });
  });
}
