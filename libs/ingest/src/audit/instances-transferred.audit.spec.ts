import { AuditEventV1 } from '@pacs/contracts';
import type { StoredInstance } from '../store/store-instance.use-case';
import { InstancesTransferredAudit } from './instances-transferred.audit';

const parties = {
  tenantId: 'radiology',
  correlationId: 'assoc-1',
  sourceUserId: 'CT1',
  sourceAddress: '10.0.0.5',
  destinationUserId: 'RAD_PACS',
};
const instance = (study: string, sopClassUid: string, patientId = 'P1'): StoredInstance => ({
  studyInstanceUid: study,
  seriesInstanceUid: `${study}.1`,
  sopInstanceUid: `${study}.1.${Math.floor(Math.random() * 1e6)}`,
  sopClassUid,
  outcome: 'stored',
  version: 1,
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  patientId,
  patientName: 'Doe^Jane',
  blob: { key: 'k', size: 1, sha256: 'a'.repeat(64) },
});

describe('DICOM Instances Transferred audit', () => {
  it('gives one valid audit event per study, with patient, study, SOP class counts, sender and receiver', () => {
    const audit = new InstancesTransferredAudit();
    audit.recordStored(instance('1.2.3', '1.2.840.10008.5.1.4.1.1.2'));
    audit.recordStored(instance('1.2.3', '1.2.840.10008.5.1.4.1.1.2'));
    audit.recordStored(instance('1.2.3', '1.2.840.10008.5.1.4.1.1.7'));
    audit.recordStored(instance('1.2.4', '1.2.840.10008.5.1.4.1.1.4', 'P2'));
    const events = audit.toEvents(parties, 'gateway', new Date('2026-11-28T10:00:00Z'));
    expect(events).toHaveLength(2);
    for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(events[0]).toMatchObject({
      tenantId: 'radiology',
      event: { code: '110104', codingScheme: 'DCM' },
      action: 'C',
      outcome: 0,
      participants: [
        { userId: 'CT1', isRequestor: true, networkAccessPoint: '10.0.0.5' },
        { userId: 'RAD_PACS', isRequestor: false },
      ],
      objects: [
        { typeCode: '1', id: 'P1', name: 'Doe^Jane', idType: { code: '2' } },
        {
          typeCode: '2',
          id: '1.2.3',
          idType: { code: '110180' },
          details: { 'sopClass:1.2.840.10008.5.1.4.1.1.2': '2', 'sopClass:1.2.840.10008.5.1.4.1.1.7': '1' },
        },
      ],
    });
  });

  it('reports failures: 4 when some instances failed, 8 when none was stored', () => {
    const partly = new InstancesTransferredAudit();
    partly.recordStored(instance('1.2.3', '1.2.840.10008.5.1.4.1.1.2'));
    partly.recordFailure('the data set cannot be parsed');
    const [event] = partly.toEvents(parties, 'gateway', new Date());
    expect(event).toMatchObject({
      outcome: 4,
      outcomeDescription: '1 instance(s) not stored: the data set cannot be parsed',
    });

    const none = new InstancesTransferredAudit();
    none.recordFailure('SOPInstanceUID is missing');
    const events = none.toEvents(parties, 'gateway', new Date());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 8, objects: [] });
    expect(() => AuditEventV1.schema.parse(events[0])).not.toThrow();
    expect(new InstancesTransferredAudit().isEmpty).toBe(true);
  });
});
