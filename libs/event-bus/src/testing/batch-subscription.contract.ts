import { deadLetterTopic, type TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { uniqueName } from '@pacs/testing';
import { NonRetriableError } from '../event-bus.errors';
import { DLQ_HEADERS, type DeliveredMessage, type EventBus } from '../event-bus.port';
import { waitFor } from './wait-for';

/** What the batch tests need from the adapter's harness (a subset of EventBusHarness). */
export interface BatchContractHarness {
  newBus(): Promise<EventBus>;
  restart(bus: EventBus): Promise<EventBus>;
  readonly testTimeout: number;
  readonly deliveryTimeout: number;
}

const BatchEvent = z.object({ id: z.string(), key: z.string(), seq: z.number().int().nonnegative() });
type BatchEvent = z.infer<typeof BatchEvent>;

function batchTopic(label: string): TopicDefinition<BatchEvent> {
  return { name: `pacs.contract.${uniqueName(label)}.v1`, schema: BatchEvent, key: (event) => event.key };
}

const event = (seq: number): BatchEvent => ({ id: `study-1-${seq}`, key: 'study-1', seq });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const FAST_RETRIES = { retryBackoffMs: 5, maxRetryBackoffMs: 20 } as const;

/** subscribeBatch(): batching, its fallback to one message at a time, and commits per batch. */
export function runBatchSubscriptionContract(adapterName: string, harness: BatchContractHarness): void {
  const { testTimeout, deliveryTimeout } = harness;

  it(
    `${adapterName}: subscribeBatch hands a partition's backlog over in order, in batches of at most maxBatchSize`,
    async () => {
      const bus = await harness.newBus();
      const topic = batchTopic('batch-order');
      await bus.start([topic]);
      for (const seq of range(0, 25)) await bus.publish(topic, event(seq));
      const calls: number[][] = [];
      await bus.subscribeBatch(topic, async (messages) => void calls.push(messages.map((m) => m.value.seq)), {
        group: uniqueName('batch-order'),
        maxBatchSize: 10,
      });
      await waitFor(() => calls.flat().length >= 25, deliveryTimeout, 'the 25 events');
      expect(calls.flat()).toEqual(range(0, 25));
      expect(Math.max(...calls.map((call) => call.length))).toBeLessThanOrEqual(10);
      // The backlog was there before the subscription: it cannot have come one by one.
      expect(calls.length).toBeLessThan(25);
    },
    testTimeout,
  );

  it(
    `${adapterName}: subscribeBatch with a poison message: the others are handled, it alone is dead-lettered`,
    async () => {
      const bus = await harness.newBus();
      const topic = batchTopic('batch-poison');
      await bus.start([topic]);
      for (const seq of range(0, 10)) await bus.publish(topic, event(seq));
      const handled: number[] = [];
      await bus.subscribeBatch(
        topic,
        async (messages) => {
          // All or nothing, as a transaction would be: the batch holding seq 4 writes nothing.
          if (messages.some((m) => m.value.seq === 4)) throw new NonRetriableError('BAD_EVENT', 'seq 4 is bad');
          handled.push(...messages.map((m) => m.value.seq));
        },
        { group: uniqueName('batch-poison'), maxBatchSize: 10, maxAttempts: 3, ...FAST_RETRIES },
      );
      const dead: DeliveredMessage<unknown>[] = [];
      await bus.subscribe(deadLetterTopic(topic), async (message) => void dead.push(message), {
        group: uniqueName('dlq-reader'),
      });
      await waitFor(() => dead.length === 1 && handled.length === 9, deliveryTimeout, 'nine handled, one dead');
      expect(handled).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
      expect(dead[0]!.value).toEqual(event(4));
      expect(dead[0]!.headers).toMatchObject({ [DLQ_HEADERS.errorCode]: 'BAD_EVENT', [DLQ_HEADERS.attempts]: '1' });
    },
    testTimeout,
  );

  it(
    `${adapterName}: subscribeBatch commits a batch once handled: after a crash only the unfinished batch comes again`,
    async () => {
      const topic = batchTopic('batch-crash');
      const group = uniqueName('batch-crash');
      const first = await harness.newBus();
      await first.start([topic]);
      const beforeCrash: number[] = [];
      await first.subscribeBatch(
        topic,
        async (messages) => {
          // The batch holding seq 5 never ends: the process dies in the middle of it.
          if (messages.some((m) => m.value.seq === 5)) await new Promise<never>(() => undefined);
          beforeCrash.push(...messages.map((m) => m.value.seq));
        },
        { group, maxBatchSize: 10, ...FAST_RETRIES },
      );
      for (const seq of range(0, 5)) await first.publish(topic, event(seq));
      await waitFor(() => beforeCrash.length === 5, deliveryTimeout, 'the first five events');
      for (const seq of range(5, 8)) await first.publish(topic, event(seq));

      const second = await harness.restart(first);
      await second.start([topic]);
      const afterRestart: number[] = [];
      await second.subscribeBatch(
        topic,
        async (messages) => void afterRestart.push(...messages.map((m) => m.value.seq)),
        {
          group,
          maxBatchSize: 10,
        },
      );
      await waitFor(() => afterRestart.length >= 3, deliveryTimeout, 'the redelivery');
      expect(beforeCrash).toEqual(range(0, 5));
      expect(afterRestart).toEqual([5, 6, 7]);
    },
    testTimeout,
  );
}
