import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Context,
  type ContextManager,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

// Tests see trace propagation without the SDK: a marker value travels in one header.
const TRACE_KEY = createContextKey('pacs.test.trace-marker');
export const TEST_TRACE_HEADER = 'x-pacs-test-trace';

class MarkerPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const marker = ctx.getValue(TRACE_KEY);
    if (typeof marker === 'string') setter.set(carrier, TEST_TRACE_HEADER, marker);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, TEST_TRACE_HEADER);
    const marker = Array.isArray(raw) ? raw[0] : raw;
    return marker ? ctx.setValue(TRACE_KEY, marker) : ctx;
  }

  fields(): string[] {
    return [TEST_TRACE_HEADER];
  }
}

class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const call = (thisArg: unknown, args: unknown[]): unknown =>
      this.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args));
    // The bound function has the target's signature; TypeScript cannot express that generically.
    return function (this: unknown, ...args: unknown[]) {
      return call(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** Registers a context manager and the marker propagator globally; returns the undo. */
export function installTestTracing(): () => void {
  const manager = new AsyncLocalStorageContextManager();
  if (!context.setGlobalContextManager(manager) || !propagation.setGlobalPropagator(new MarkerPropagator())) {
    throw new Error('another OpenTelemetry context manager or propagator is already registered');
  }
  return () => {
    propagation.disable();
    context.disable();
  };
}

/** Runs `fn` in a context that carries `marker`. */
export function withTraceMarker<R>(marker: string, fn: () => R): R {
  return context.with(context.active().setValue(TRACE_KEY, marker), fn);
}

/** The marker of the active context, if any. */
export function activeTraceMarker(): string | undefined {
  const marker = context.active().getValue(TRACE_KEY);
  return typeof marker === 'string' ? marker : undefined;
}
