import { randomUUID } from 'node:crypto';
import { AuditEventV1, type AuditEvent, type TopicDefinition } from '@pacs/contracts';
import { EventBusError, type EventBus } from '@pacs/event-bus';
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

/**
 * A bus that keeps what it is given. It refuses for good the events of one tenant (as a closed bus
 * does), and fails the first `outages` attempts of any event as a broker without a leader does.
 */
function bus(failFor: string, outages = 0) {
  const published: Array<{ topic: string; event: AuditEvent }> = [];
  let attempts = 0;
  const eventBus = {
    publish: async <T>(topic: TopicDefinition<T>, value: T) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      attempts += 1;
      const audit = value as unknown as AuditEvent;
      if (audit.tenantId === failFor) throw new EventBusError('CLOSED', 'the event bus is closed', false);
      if (attempts <= outages) {
        throw new EventBusError('PUBLISH_FAILED', 'cannot publish to audit.event: no leader for partition 2', true);
      }
      published.push({ topic: topic.name, event: audit });
    },
  } as unknown as EventBus;
  return { eventBus, published, attempts: () => attempts };
}

const logged = () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
};

describe('AuditTrail', () => {
  it('publishes on the audit topic in the background, and logs what the bus refuses for good', async () => {
    const { eventBus, published } = bus('broken');
    const { logger, lines } = logged();
    const trail = new AuditTrail(eventBus, logger);
    expect(() => trail.publish([event('radiology'), event('broken'), event('oncology')])).not.toThrow();
    expect(published).toEqual([]);
    await trail.settled();
    expect(published.map((p) => [p.topic, p.event.tenantId])).toEqual([
      [AuditEventV1.name, 'radiology'],
      [AuditEventV1.name, 'oncology'],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'audit event not published',
      tenantId: 'broken',
      auditEvent: '110112',
      err: { message: 'the event bus is closed' },
    });
  });

  it('tries a failed publication again until the bus takes it, in order, each event once', async () => {
    const { eventBus, published, attempts } = bus('none', 3);
    const { logger, lines } = logged();
    const trail = new AuditTrail(eventBus, logger, { retryDelaysMs: [10, 20] });
    const events = [event('radiology'), event('cardiology')];
    trail.publish(events);
    await trail.settled();
    expect(published.map((p) => p.event.eventId)).toEqual(events.map((e) => e.eventId));
    expect(attempts()).toBe(5);
    expect(lines.map((l) => [l.msg, l.attempt, l.retryInMs])).toEqual([
      ['audit event not published yet; retrying', 1, 10],
      ['audit event not published yet; retrying', 2, 20],
      ['audit event not published yet; retrying', 3, 20],
    ]);
  });

  it('gives up the retries that are waiting when the application stops, and logs each event it drops', async () => {
    const { eventBus, published } = bus('none', Number.POSITIVE_INFINITY);
    const { logger, lines } = logged();
    const trail = new AuditTrail(eventBus, logger, { retryDelaysMs: [60_000] });
    const dropped = event('radiology');
    trail.publish([dropped]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    await trail.beforeApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(published).toEqual([]);
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ msg: 'audit event not published', eventId: dropped.eventId }),
    ]);
  });

  it('keeps at most maxBacklog events waiting, and logs those beyond it as not published', async () => {
    const { eventBus, published } = bus('none', 2);
    const { logger, lines } = logged();
    const trail = new AuditTrail(eventBus, logger, { retryDelaysMs: [10], maxBacklog: 2 });
    const kept = [event('radiology'), event('radiology')];
    const beyond = event('oncology');
    trail.publish(kept);
    trail.publish([beyond]);
    await trail.settled();
    expect(published.map((p) => p.event.eventId)).toEqual(kept.map((e) => e.eventId));
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({
        msg: 'audit event not published',
        eventId: beyond.eventId,
        err: expect.objectContaining({ message: '2 audit events are already waiting for the event bus' }),
      }),
    ]);
    trail.publish([beyond]);
    await trail.settled();
    expect(published.map((p) => p.event.eventId)).toEqual([...kept, beyond].map((e) => e.eventId));
  });

  it('waits for pending publications before the application shuts down', async () => {
    const { eventBus, published } = bus('none');
    const trail = new AuditTrail(eventBus, pino({ level: 'silent' }));
    trail.publish([event('radiology')]);
    await trail.beforeApplicationShutdown();
    expect(published).toHaveLength(1);
  });
});
