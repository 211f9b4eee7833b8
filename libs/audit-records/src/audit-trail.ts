import type { BeforeApplicationShutdown } from '@nestjs/common';
import { AuditEventV1, type AuditEvent } from '@pacs/contracts';
import { EventBusError, type EventBus } from '@pacs/event-bus';
import type { Logger } from '@pacs/observability';

export interface AuditTrailOptions {
  /** False only to measure what auditing costs (PACS_AUDIT_ENABLED=false): every event is dropped. */
  readonly enabled?: boolean;
  /** Waits between the attempts of a failed publication; the last one repeats (default 0.5 s up to 30 s). */
  readonly retryDelaysMs?: readonly number[];
  /** Events at most waiting for publication; more are logged as not published (default 10,000). */
  readonly maxBacklog?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
const DEFAULT_MAX_BACKLOG = 10_000;

/**
 * Publishes the read path's audit events (`audit.event`, ARCHITECTURE.md) beside the answer, never
 * in its way: a query or retrieve is answered whether or not its audit record could be published.
 * A publication that fails is tried again in the background, with growing waits, until it succeeds
 * or the application stops, so that a broker's election or restart loses no record. What could
 * not be published (stopped while retrying, or beyond the backlog's bound) is logged as an error
 * with the event, so that it can be found and replayed.
 */
export class AuditTrail implements BeforeApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();
  private readonly enabled: boolean;
  private readonly retryDelaysMs: readonly number[];
  private readonly maxBacklog: number;
  /** Events published or waiting for publication, not yet done. */
  private backlog = 0;
  private stopping = false;
  /** Wakes the retries that are waiting, at shutdown. */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly eventBus: EventBus,
    private readonly logger: Logger,
    options: AuditTrailOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxBacklog = options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
  }

  /** Publishes the events one after the other, in the background; never throws. */
  publish(events: readonly AuditEvent[]): void {
    if (events.length === 0 || !this.enabled) return;
    if (this.backlog + events.length > this.maxBacklog) {
      const reason = new Error(`${this.backlog} audit events are already waiting for the event bus`);
      for (const event of events) this.logUnpublished(event, reason);
      return;
    }
    this.backlog += events.length;
    const done = this.publishAll(events).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /**
   * Publishes the events and resolves once they are durable; throws when one could not be
   * published. For the write paths whose answer waits for their audit record (ingest).
   */
  async publishDurably(events: readonly AuditEvent[]): Promise<void> {
    if (!this.enabled) return;
    for (const event of events) await this.eventBus.publish(AuditEventV1, event);
  }

  /** Resolves once every publication started so far has ended (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * Lets the last records reach the event bus before the platform closes it: publications under
   * way end, retries that are waiting give up (and are logged).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers) wake();
    await this.settled();
  }

  private async publishAll(events: readonly AuditEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.publishOne(event);
      } finally {
        this.backlog -= 1;
      }
    }
  }

  private async publishOne(event: AuditEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.eventBus.publish(AuditEventV1, event);
        return;
      } catch (error) {
        if (this.stopping || !isRetriable(error)) {
          this.logUnpublished(event, error);
          return;
        }
        const delayMs = this.retryDelaysMs[Math.min(attempt, this.retryDelaysMs.length - 1)] ?? 0;
        this.logger.warn(
          { err: error, tenantId: event.tenantId, eventId: event.eventId, attempt: attempt + 1, retryInMs: delayMs },
          'audit event not published yet; retrying',
        );
        await this.wait(delayMs);
      }
    }
  }

  /** Waits, or less when the application stops meanwhile. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private logUnpublished(event: AuditEvent, error: unknown): void {
    this.logger.error(
      {
        err: error,
        tenantId: event.tenantId,
        correlationId: event.correlationId,
        auditEvent: event.event.code,
        eventId: event.eventId,
      },
      'audit event not published',
    );
  }
}

/** Whether trying again may succeed: the event bus says so of its own errors (a closed bus, an invalid event: no). */
function isRetriable(error: unknown): boolean {
  return !(error instanceof EventBusError) || error.retriable;
}
