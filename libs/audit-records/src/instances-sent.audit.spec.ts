import { AuditEventV1 } from '@pacs/contracts';
import { InstancesSentAudit, type SendingParties } from './instances-sent.audit';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const SR = '1.2.840.10008.5.1.4.1.1.88.11';
const parties: SendingParties = {
  service: 'gateway',
  tenantId: 'radiology',
  correlationId: 'dimse-9',
  source: { userId: 'RAD_PACS', isRequestor: false },
  destination: { userId: 'WORKSTATION', isRequestor: false },
  requestor: { userId: 'VIEWER', address: '10.0.0.7', isRequestor: true },
};
const sent = (study: string, sopClassUid: string, patientId?: string) => ({
  studyInstanceUid: study,
  sopClassUid,
  ...(patientId ? { patientId, patientName: `Name^${patientId}` } : {}),
});

describe('DICOM Instances Transferred, sending side (PS3.15 A.5.3.7)', () => {
  it('gives one record per patient: its studies with instance counts by SOP class, action R', () => {
    const audit = new InstancesSentAudit();
    audit.recordSent(sent('1.1', CT, 'P1'));
    audit.recordSent(sent('1.1', CT, 'P1'));
    audit.recordSent(sent('1.1', SR, 'P1'));
    audit.recordSent(sent('1.2', CT, 'P1'));
    audit.recordSent(sent('2.1', CT, 'P2'));
    const events = audit.toEvents(parties, new Date('2026-03-04T05:06:07Z'));
    for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      tenantId: 'radiology',
      correlationId: 'dimse-9',
      event: { code: '110104', codingScheme: 'DCM', meaning: 'DICOM Instances Transferred' },
      action: 'R',
      outcome: 0,
      participants: [
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110153' }] },
        { userId: 'WORKSTATION', isRequestor: false, roles: [{ code: '110152' }] },
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '10.0.0.7' },
      ],
      objects: [
        { typeCode: '1', id: 'P1', name: 'Name^P1', idType: { code: '2' } },
        { typeCode: '2', id: '1.1', idType: { code: '110180' }, details: { instances: '3' } },
        { typeCode: '2', id: '1.2', details: { instances: '1', [`sopClass:${CT}`]: '1' } },
      ],
    });
    expect(events[0]!.objects[1]!.details).toEqual({
      instances: '3',
      [`sopClass:${CT}`]: '2',
      [`sopClass:${SR}`]: '1',
    });
    expect(events[0]!.participants[2]!.roles).toBeUndefined();
    expect(events[1]!.objects.map((o) => o.id)).toEqual(['P2', '2.1']);
    expect(events[0]!.eventId).not.toBe(events[1]!.eventId);
  });

  it('says 4 when some failed or the transfer stopped, 8 when nothing was sent', () => {
    const partly = new InstancesSentAudit();
    partly.recordSent(sent('1.1', CT, 'P1'));
    partly.recordFailure('no accepted presentation context for its SOP class');
    expect(partly.toEvents(parties, new Date())[0]).toMatchObject({
      outcome: 4,
      outcomeDescription: '1 instance(s) not sent: no accepted presentation context for its SOP class',
    });

    const cut = new InstancesSentAudit();
    cut.recordSent(sent('1.1', CT));
    cut.recordProblem('the response was cut short');
    const [cutEvent] = cut.toEvents(parties, new Date());
    expect(cutEvent).toMatchObject({ outcome: 4, outcomeDescription: 'the response was cut short' });
    // Without a Patient ID, the study alone.
    expect(cutEvent!.objects.map((o) => o.typeCode)).toEqual(['2']);

    const none = new InstancesSentAudit();
    expect(none.isEmpty).toBe(true);
    none.recordFailure('cannot associate with DEST');
    none.recordRequestedStudy('1.1');
    const events = none.toEvents(parties, new Date());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 8, objects: [{ typeCode: '2', id: '1.1' }] });
    expect(() => AuditEventV1.schema.parse(events[0])).not.toThrow();
  });
});
