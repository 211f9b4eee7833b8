import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

// A ProxyTracer: it delegates to whatever provider the app registers, even after this import.
const tracer = trace.getTracer('@pacs/event-bus');

/** `headers` plus the trace context of `ctx` (traceparent/tracestate with the SDK's default propagator). */
export function injectTraceHeaders(
  headers: Readonly<Record<string, string>>,
  ctx: Context = context.active(),
): Record<string, string> {
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context carried by a message's headers; ROOT when they carry none. */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Where a span happens, for its messaging attributes. */
export interface MessagingTarget {
  /** `kafka`, `sqlite`: the engine under the bus. */
  readonly system: string;
  readonly topic: string;
}

/**
 * Runs `send` inside a producer span and hands it the headers to publish: the caller's headers
 * plus that span's context, so that the consumer's span continues the producer's trace.
 */
export function tracePublish<R>(
  target: MessagingTarget,
  headers: Readonly<Record<string, string>>,
  send: (headers: Record<string, string>) => Promise<R>,
): Promise<R> {
  const attributes: Attributes = {
    'messaging.system': target.system,
    'messaging.destination.name': target.topic,
    'messaging.operation.type': 'send',
  };
  return tracer.startActiveSpan(`send ${target.topic}`, { kind: SpanKind.PRODUCER, attributes }, (span) =>
    endSpanWith(span, () => send(injectTraceHeaders(headers))),
  );
}

/** Position of a delivered message, for the consumer span's attributes. */
export interface DeliveryTarget extends MessagingTarget {
  readonly group: string;
  readonly partition: number;
  readonly offset: string;
  readonly attempt: number;
}

/**
 * Runs `handle` inside `context.with(extracted context)`, under a consumer span that is a child of
 * the producer's span: whatever the handler publishes or calls joins the same trace.
 */
export function traceDelivery<R>(
  target: DeliveryTarget,
  headers: Readonly<Record<string, string>>,
  handle: () => Promise<R>,
): Promise<R> {
  const attributes: Attributes = {
    'messaging.system': target.system,
    'messaging.destination.name': target.topic,
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': target.group,
    'messaging.destination.partition.id': String(target.partition),
    'messaging.message.offset': target.offset,
    'messaging.delivery.attempt': target.attempt,
  };
  const parent = extractTraceContext(headers);
  return context.with(parent, () =>
    tracer.startActiveSpan(`process ${target.topic}`, { kind: SpanKind.CONSUMER, attributes }, (span) =>
      endSpanWith(span, handle),
    ),
  );
}

/** Where a batch was delivered from, for the consumer span's attributes. */
export interface BatchDeliveryTarget extends MessagingTarget {
  readonly group: string;
  readonly partition: number;
  /** Offsets of the first and the last message. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly messageCount: number;
}

/**
 * Runs `handle` under one consumer span for a batch: the child of the first message's producer span
 * (what the handler publishes joins that trace), linked to the producer spans of all of them.
 */
export function traceBatchDelivery<R>(
  target: BatchDeliveryTarget,
  headers: readonly Readonly<Record<string, string>>[],
  handle: () => Promise<R>,
): Promise<R> {
  const attributes: Attributes = {
    'messaging.system': target.system,
    'messaging.destination.name': target.topic,
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': target.group,
    'messaging.destination.partition.id': String(target.partition),
    'messaging.batch.message_count': target.messageCount,
    'pacs.messaging.batch.first_offset': target.firstOffset,
    'pacs.messaging.batch.last_offset': target.lastOffset,
  };
  const links = headers.flatMap((carrier) => {
    const spanContext = trace.getSpanContext(extractTraceContext(carrier));
    return spanContext ? [{ context: spanContext }] : [];
  });
  const parent = extractTraceContext(headers[0] ?? {});
  return context.with(parent, () =>
    tracer.startActiveSpan(`process ${target.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, (span) =>
      endSpanWith(span, handle),
    ),
  );
}

async function endSpanWith<R>(span: Span, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
