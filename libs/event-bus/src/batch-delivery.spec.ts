import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { deliverBatchWithRetries, type BatchDeliveryParams } from './batch-delivery';
import { NonRetriableError } from './event-bus.errors';
import type { DeliveredMessage, EventBusLogger } from './event-bus.port';
import { resolveBatchSubscribeOptions, type ReceivedMessage } from './message-delivery';

const schema = z.object({ n: z.number() });
const topic: TopicDefinition<{ n: number }> = { name: 'pacs.test.n.v1', schema, key: () => 'k' };
const received = (n: number, value = JSON.stringify({ n })): ReceivedMessage => ({
  topic: topic.name,
  key: 'k',
  value,
  headers: {},
  partition: 1,
  offset: String(40 + n),
});

function params(overrides: Partial<BatchDeliveryParams<{ n: number }>>): BatchDeliveryParams<{ n: number }> {
  return {
    system: 'test',
    topic,
    messages: [1, 2, 3].map((n) => received(n)),
    handler: async () => undefined,
    options: resolveBatchSubscribeOptions({ group: 'g', maxAttempts: 2, retryBackoffMs: 1, maxRetryBackoffMs: 1 }),
    signal: new AbortController().signal,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...overrides,
  };
}

const values = (messages: readonly DeliveredMessage<{ n: number }>[]) => messages.map((m) => m.value.n);

describe('deliverBatchWithRetries', () => {
  it('hands a valid batch over in one call, in order, and reports each message handled', async () => {
    const calls: number[][] = [];
    const outcomes = await deliverBatchWithRetries(params({ handler: async (ms) => void calls.push(values(ms)) }));
    expect(calls).toEqual([[1, 2, 3]]);
    expect(outcomes).toEqual([1, 2, 3].map(() => ({ kind: 'handled', attempts: 1 })));
  });

  it('after a failed batch, delivers each message alone: only the bad one is dead-lettered', async () => {
    const calls: number[][] = [];
    const warnings: Record<string, unknown>[] = [];
    const logger: EventBusLogger = {
      info: () => undefined,
      warn: (c) => void warnings.push(c),
      error: () => undefined,
    };
    const outcomes = await deliverBatchWithRetries(
      params({
        logger,
        handler: async (ms) => {
          calls.push(values(ms));
          if (ms.some((m) => m.value.n === 2)) throw new NonRetriableError('BAD', 'two is bad');
        },
      }),
    );
    expect(calls).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(outcomes).toEqual([
      { kind: 'handled', attempts: 1 },
      { kind: 'dead-letter', reason: { code: 'BAD', message: 'two is bad', attempts: 1 } },
      { kind: 'handled', attempts: 1 },
    ]);
    expect(warnings).toEqual([expect.objectContaining({ firstOffset: '41', lastOffset: '43', error: 'two is bad' })]);
  });

  it('with an invalid payload, skips the batch call and dead-letters that message unhandled', async () => {
    const calls: number[][] = [];
    const outcomes = await deliverBatchWithRetries(
      params({
        messages: [received(1), received(2, '{"n":"two"}'), received(3)],
        handler: async (ms) => void calls.push(values(ms)),
      }),
    );
    expect(calls).toEqual([[1], [3]]);
    expect(outcomes.map((o) => o.kind)).toEqual(['handled', 'dead-letter', 'handled']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'INVALID_EVENT', attempts: 0 } });
  });

  it('a batch of one goes straight to the retries, its attempts counted from 1', async () => {
    const attempts: number[] = [];
    const outcomes = await deliverBatchWithRetries(
      params({
        messages: [received(1)],
        handler: async ([m]) => {
          attempts.push(m!.attempt);
          if (m!.attempt === 1) throw new Error('once');
        },
      }),
    );
    expect(attempts).toEqual([1, 2]);
    expect(outcomes).toEqual([{ kind: 'handled', attempts: 2 }]);
  });

  it('stops at the first interrupted message when the bus closes during the retries', async () => {
    const closing = new AbortController();
    const outcomes = await deliverBatchWithRetries(
      params({
        signal: closing.signal,
        handler: async (ms) => {
          if (ms.length === 1 && ms[0]!.value.n === 2) closing.abort();
          if (ms.length > 1 || ms[0]!.value.n === 2) throw new Error('down');
        },
      }),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['handled', 'interrupted']);
  });
});
