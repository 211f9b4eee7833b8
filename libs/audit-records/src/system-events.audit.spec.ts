import { AuditEventV1 } from '@pacs/contracts';
import { applicationActivityEvent } from './application-activity.audit';
import { associationEvent, type AuditedAssociation } from './association.audit';
import { auditLogUsedEvent } from './audit-log-used.audit';
import { configurationChangeEvent } from './configuration-change.audit';

const now = new Date('2026-11-28T12:00:00Z');
const association: AuditedAssociation = {
  tenantId: 'radiology',
  correlationId: 'dimse-1',
  service: 'gateway',
  callingAeTitle: 'CT01 ',
  calledAeTitle: 'RAD_PACS',
  remoteAddress: '10.1.2.3',
};

describe('audit records of the system events', () => {
  it('application start and stop: Application Activity with the application and its launcher', () => {
    const start = applicationActivityEvent(
      { tenantId: 'default', service: 'pacs', activity: 'start', launcher: 'pacs' },
      now,
    );
    const stop = applicationActivityEvent(
      { tenantId: 'default', service: 'pacs', activity: 'stop', failure: 'timed out' },
      now,
    );
    for (const event of [start, stop]) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(start).toMatchObject({
      event: { code: '110100' },
      eventTypes: [{ code: '110120', meaning: 'Application Start' }],
      action: 'E',
      outcome: 0,
      participants: [
        { userId: 'pacs-pacs', isRequestor: false, roles: [{ code: '110150' }] },
        { userId: 'pacs', isRequestor: true, roles: [{ code: '110151' }] },
      ],
    });
    expect(stop).toMatchObject({ eventTypes: [{ code: '110121' }], outcome: 4, outcomeDescription: 'timed out' });
  });

  it('associations: log-on when accepted, log-off when released, a failed log-on when rejected', () => {
    const established = associationEvent(association, { kind: 'established' }, now);
    const released = associationEvent(association, { kind: 'released' }, now);
    const aborted = associationEvent(association, { kind: 'aborted', reason: 'A-ABORT from the peer' }, now);
    const rejected = associationEvent(association, { kind: 'rejected', reason: 'called AE title not recognized' }, now);
    for (const event of [established, released, aborted, rejected])
      expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(established).toMatchObject({
      event: { code: '110114' },
      eventTypes: [{ code: '110122' }],
      outcome: 0,
      participants: [
        { userId: 'CT01', isRequestor: true, networkAccessPoint: '10.1.2.3' },
        { userId: 'RAD_PACS', isRequestor: false },
      ],
    });
    expect(released).toMatchObject({ eventTypes: [{ code: '110123' }], outcome: 0 });
    expect(aborted).toMatchObject({ eventTypes: [{ code: '110123' }], outcome: 4 });
    expect(rejected).toMatchObject({
      eventTypes: [{ code: '110122' }],
      outcome: 4,
      outcomeDescription: 'association rejected: called AE title not recognized',
    });
  });

  it('audit log reads and configuration changes', () => {
    const read = auditLogUsedEvent(
      {
        tenantId: 'radiology',
        correlationId: 'r1',
        user: { userId: 'auditor-1', address: '::1' },
        url: '/audit/records?user=CT01',
      },
      now,
    );
    const change = configurationChangeEvent(
      {
        tenantId: 'radiology',
        correlationId: 'r2',
        service: 'router',
        kind: 'network',
        action: 'U',
        user: { userId: 'admin-1' },
        url: '/tenants/radiology/routing/destinations/ARCHIVE',
        description: 'destination ARCHIVE saved',
      },
      now,
    );
    for (const event of [read, change]) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(read).toMatchObject({
      event: { code: '110101' },
      action: 'R',
      objects: [{ id: '/audit/records?user=CT01', role: { code: '13' } }],
    });
    expect(change).toMatchObject({
      event: { code: '110113' },
      eventTypes: [{ code: '110128' }],
      action: 'U',
      outcome: 0,
    });
  });
});
