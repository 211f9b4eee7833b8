import { randomUUID } from 'node:crypto';
import { AuditEventV1, type AuditEvent, type TopicDefinition } from '@pacs/contracts';
import type { EventBus } from '@pacs/event-bus';
import pino from 'pino';
import { QUERY } from './audit-codes';
import { AuditTrail } from './audit-trail';

const event = (tenantId: string): AuditEvent => ({
  eventId: randomUUID(),
  tenantId,
  occurredAt: new Date().toISOString(),
  correlationId: 'c1',
  causationId: null,
  event: QUERY,
  action: 'E',
  outcome: 0,
  source: 'gateway',
  participants: [{ userId: 'VIEWER', isRequestor: true }],
  objects: [],
});

/** A bus that keeps what it is given and fails for one tenant. */
function bus(failFor: string) {
  const published: Array<{ topic: string; event: AuditEvent }> = [];
  const eventBus = {
    publish: async <T>(topic: TopicDefinition<T>, value: T) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const audit = value as unknown as AuditEvent;
      if (audit.tenantId === failFor) throw new Error('PUBLISH_FAILED: the log is closed');
      published.push({ topic: topic.name, event: audit });
    },
  } as unknown as EventBus;
  return { eventBus, published };
}

describe('AuditTrail', () => {
  it('publishes on the audit topic in the background, and logs what it could not publish', async () => {
    const { eventBus, published } = bus('broken');
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const trail = new AuditTrail(eventBus, logger);
    expect(() => trail.publish([event('radiology'), event('broken'), event('oncology')])).not.toThrow();
    expect(published).toEqual([]);
    await trail.settled();
    expect(published.map((p) => [p.topic, p.event.tenantId])).toEqual([
      [AuditEventV1.name, 'radiology'],
      [AuditEventV1.name, 'oncology'],
    ]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'audit event not published',
      tenantId: 'broken',
      auditEvent: '110112',
      err: { message: 'PUBLISH_FAILED: the log is closed' },
    });
  });

  it('waits for pending publications before the application shuts down', async () => {
    const { eventBus, published } = bus('none');
    const trail = new AuditTrail(eventBus, pino({ level: 'silent' }));
    trail.publish([event('radiology')]);
    await trail.beforeApplicationShutdown();
    expect(published).toHaveLength(1);
  });
});
