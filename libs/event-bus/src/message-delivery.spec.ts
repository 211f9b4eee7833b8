import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { EventBusError, NonRetriableError } from './event-bus.errors';
import { DLQ_HEADERS, NOOP_EVENT_BUS_LOGGER, type DeliveredMessage } from './event-bus.port';
import {
  deadLetterHeaders,
  deliverWithRetries,
  errorCode,
  isRetriable,
  resolveBatchSubscribeOptions,
  resolveSubscribeOptions,
  type DeliveryParams,
  type ReceivedMessage,
} from './message-delivery';

const schema = z.object({ n: z.number() });
const topic: TopicDefinition<{ n: number }> = { name: 'pacs.test.n.v1', schema, key: () => 'k' };
const message: ReceivedMessage = {
  topic: topic.name,
  key: 'k',
  value: '{"n":1}',
  headers: { 'x-correlation-id': 'c' },
  partition: 2,
  offset: '41',
};

function params(overrides: Partial<DeliveryParams<{ n: number }>>): DeliveryParams<{ n: number }> {
  return {
    system: 'test',
    topic,
    message,
    handler: async () => undefined,
    options: resolveSubscribeOptions({ group: 'g', maxAttempts: 3, retryBackoffMs: 1, maxRetryBackoffMs: 2 }),
    signal: new AbortController().signal,
    logger: NOOP_EVENT_BUS_LOGGER,
    ...overrides,
  };
}

describe('deliverWithRetries', () => {
  it('hands the decoded message to the handler once when it succeeds', async () => {
    const seen: DeliveredMessage<{ n: number }>[] = [];
    const outcome = await deliverWithRetries(params({ handler: async (m) => void seen.push(m) }));
    expect(outcome).toEqual({ kind: 'handled', attempts: 1 });
    expect(seen).toEqual([
      {
        topic: topic.name,
        key: 'k',
        value: { n: 1 },
        headers: message.headers,
        partition: 2,
        offset: '41',
        attempt: 1,
      },
    ]);
  });

  it('retries a failing handler, counting the attempts', async () => {
    const attempts: number[] = [];
    const outcome = await deliverWithRetries(
      params({
        handler: async ({ attempt }) => {
          attempts.push(attempt);
          if (attempt < 3) throw new Error('flaky');
        },
      }),
    );
    expect(outcome).toEqual({ kind: 'handled', attempts: 3 });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('dead-letters after maxAttempts failures, with the last error', async () => {
    let calls = 0;
    const outcome = await deliverWithRetries(
      params({
        handler: async () => {
          calls++;
          throw Object.assign(new Error(`failure ${calls}`), { code: 'E_DISK' });
        },
      }),
    );
    expect(calls).toBe(3);
    expect(outcome).toEqual({ kind: 'dead-letter', reason: { code: 'E_DISK', message: 'failure 3', attempts: 3 } });
  });

  it('dead-letters a NonRetriableError at once', async () => {
    let calls = 0;
    const outcome = await deliverWithRetries(
      params({
        handler: async () => {
          calls++;
          throw new NonRetriableError('BAD_SOP', 'unsupported SOP class');
        },
      }),
    );
    expect(calls).toBe(1);
    expect(outcome).toEqual({
      kind: 'dead-letter',
      reason: { code: 'BAD_SOP', message: 'unsupported SOP class', attempts: 1 },
    });
  });

  it('dead-letters an invalid payload without calling the handler', async () => {
    let calls = 0;
    const outcome = await deliverWithRetries(
      params({ message: { ...message, value: '{"n":"one"}' }, handler: async () => void calls++ }),
    );
    expect(calls).toBe(0);
    expect(outcome).toMatchObject({ kind: 'dead-letter', reason: { code: 'INVALID_EVENT', attempts: 0 } });
  });

  it('stops retrying when the signal aborts during the backoff, leaving the message uncommitted', async () => {
    const controller = new AbortController();
    let calls = 0;
    const outcome = await deliverWithRetries(
      params({
        options: resolveSubscribeOptions({
          group: 'g',
          maxAttempts: 5,
          retryBackoffMs: 60_000,
          maxRetryBackoffMs: 60_000,
        }),
        random: () => 0.99,
        signal: controller.signal,
        handler: async () => {
          calls++;
          setTimeout(() => controller.abort(), 5);
          throw new Error('down');
        },
      }),
    );
    expect(calls).toBe(1);
    expect(outcome).toEqual({ kind: 'interrupted', attempts: 1 });
  });

  it('logs each retry with its delay', async () => {
    const warnings: Record<string, unknown>[] = [];
    await deliverWithRetries(
      params({
        logger: { ...NOOP_EVENT_BUS_LOGGER, warn: (context) => void warnings.push(context) },
        handler: async ({ attempt }) => {
          if (attempt === 1) throw new Error('once');
        },
      }),
    );
    expect(warnings).toEqual([expect.objectContaining({ topic: topic.name, group: 'g', attempt: 1, error: 'once' })]);
  });
});

describe('resolveSubscribeOptions', () => {
  it('applies the defaults', () => {
    expect(resolveSubscribeOptions({ group: 'g' })).toEqual({
      group: 'g',
      maxAttempts: 5,
      retryBackoffMs: 200,
      maxRetryBackoffMs: 30_000,
      maxBatchSize: 1,
    });
  });

  it('refuses nonsense with SUBSCRIBE_FAILED', () => {
    expect(() => resolveSubscribeOptions({ group: '', maxAttempts: 0 })).toThrow(EventBusError);
    expect(() => resolveSubscribeOptions({ group: 'g', maxAttempts: 1.5 })).toThrow(/maxAttempts/);
  });
});

describe('resolveBatchSubscribeOptions', () => {
  it('takes batches of 100 unless told', () => {
    expect(resolveBatchSubscribeOptions({ group: 'g' }).maxBatchSize).toBe(100);
    expect(resolveBatchSubscribeOptions({ group: 'g', maxBatchSize: 7 }).maxBatchSize).toBe(7);
  });

  it('refuses a batch size that is not an integer from 1 to 10,000', () => {
    for (const maxBatchSize of [0, -1, 2.5, 10_001, Number.NaN]) {
      expect(() => resolveBatchSubscribeOptions({ group: 'g', maxBatchSize })).toThrow(/maxBatchSize/);
    }
  });
});

describe('dead-letter helpers', () => {
  it('keeps the original headers and adds the failure', () => {
    const headers = deadLetterHeaders(message, 'indexer', { code: 'E', message: 'm', attempts: 5 }, new Date(0));
    expect(headers).toEqual({
      'x-correlation-id': 'c',
      [DLQ_HEADERS.originalTopic]: topic.name,
      [DLQ_HEADERS.group]: 'indexer',
      [DLQ_HEADERS.errorCode]: 'E',
      [DLQ_HEADERS.errorMessage]: 'm',
      [DLQ_HEADERS.attempts]: '5',
      [DLQ_HEADERS.failedAt]: '1970-01-01T00:00:00.000Z',
    });
  });

  it('names the error by its code, HANDLER_FAILED otherwise', () => {
    expect(errorCode(new NonRetriableError('X', 'x'))).toBe('X');
    expect(errorCode(new Error('plain'))).toBe('HANDLER_FAILED');
    expect(errorCode('a string')).toBe('HANDLER_FAILED');
  });

  it('retries unless the error says retriable: false', () => {
    expect(isRetriable(new Error('x'))).toBe(true);
    expect(isRetriable(new EventBusError('PUBLISH_FAILED', 'x', true))).toBe(true);
    expect(isRetriable(new EventBusError('INVALID_EVENT', 'x', false))).toBe(false);
    expect(isRetriable(new NonRetriableError('X', 'x'))).toBe(false);
  });
});
