import { context } from '@opentelemetry/api';
import { activeTraceMarker, installTestTracing, TEST_TRACE_HEADER, withTraceMarker } from './testing/trace-fixtures';
import { extractTraceContext, injectTraceHeaders, traceDelivery, tracePublish } from './trace-headers';

describe('trace headers', () => {
  let uninstall: () => void;
  beforeAll(() => {
    uninstall = installTestTracing();
  });
  afterAll(() => uninstall());

  const delivery = { system: 'test', topic: 'pacs.test.t.v1', group: 'g', partition: 0, offset: '0', attempt: 1 };

  it('injects the active context into a copy of the headers', () => {
    const headers = { 'x-correlation-id': 'c-1' };
    const injected = withTraceMarker('trace-1', () => injectTraceHeaders(headers));
    expect(injected).toEqual({ 'x-correlation-id': 'c-1', [TEST_TRACE_HEADER]: 'trace-1' });
    expect(headers).toEqual({ 'x-correlation-id': 'c-1' });
  });

  it('adds nothing outside a trace', () => {
    expect(injectTraceHeaders({ a: 'b' })).toEqual({ a: 'b' });
  });

  it('extracts the context carried by headers', () => {
    const extracted = extractTraceContext({ [TEST_TRACE_HEADER]: 'trace-2' });
    expect(context.with(extracted, activeTraceMarker)).toBe('trace-2');
  });

  it('hands the publisher headers carrying its context', async () => {
    const sent = await withTraceMarker('trace-3', () =>
      tracePublish({ system: 'test', topic: 'pacs.test.t.v1' }, { h: '1' }, async (headers) => headers),
    );
    expect(sent).toEqual({ h: '1', [TEST_TRACE_HEADER]: 'trace-3' });
  });

  it('runs the handler in the context of the message, not the consumer loop', async () => {
    const seen = await withTraceMarker('consumer-loop', () =>
      traceDelivery(delivery, { [TEST_TRACE_HEADER]: 'trace-4' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return activeTraceMarker();
      }),
    );
    expect(seen).toBe('trace-4');
  });

  it('runs a message without trace headers in a fresh root context', async () => {
    const seen = await withTraceMarker('consumer-loop', () =>
      traceDelivery(delivery, {}, async () => activeTraceMarker()),
    );
    expect(seen).toBeUndefined();
  });

  it('passes the handler failure through', async () => {
    await expect(
      traceDelivery(delivery, {}, async () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
  });
});
