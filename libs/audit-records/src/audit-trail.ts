import type { BeforeApplicationShutdown } from '@nestjs/common';
import { AuditEventV1, type AuditEvent } from '@pacs/contracts';
import type { EventBus } from '@pacs/event-bus';
import type { Logger } from '@pacs/observability';

/**
 * Publishes the read path's audit events (`audit.event`, ARCHITECTURE.md) beside the answer, never
 * in its way: a query or retrieve is answered whether or not its audit record could be published;
 * a failed publication is logged as an error with the event, so that it can be found and replayed.
 */
export class AuditTrail implements BeforeApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly eventBus: EventBus,
    private readonly logger: Logger,
    /** False only to measure what auditing costs (PACS_AUDIT_ENABLED=false): every event is dropped. */
    private readonly enabled = true,
  ) {}

  /** Publishes the events one after the other, in the background; never throws. */
  publish(events: readonly AuditEvent[]): void {
    if (events.length === 0 || !this.enabled) return;
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

  /** Lets the last records reach the event bus before the platform closes it. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  private async publishAll(events: readonly AuditEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.eventBus.publish(AuditEventV1, event);
      } catch (error) {
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
  }
}
