import { AuditEventV1 } from '@pacs/contracts';
import { queryAuditEvent, type AuditedQuery } from './query.audit';

const identifier = Buffer.from('08005200 STUDY identifier bytes');
const dimse: AuditedQuery = {
  tenantId: 'radiology',
  correlationId: 'dimse-1',
  requestor: { userId: 'VIEWER', address: '10.0.0.7' },
  responder: { userId: 'RAD_PACS' },
  target: { sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1' },
  query: identifier,
  transferSyntaxUid: '1.2.840.10008.1.2',
  keys: { QueryRetrieveLevel: 'STUDY', PatientName: 'Doe^J*' },
  outcome: 'success',
};

describe('Query audit record (PS3.15 A.5.3.10)', () => {
  it('names the requestor, the responder, the SOP class queried, the query and its keys', () => {
    const event = queryAuditEvent(dimse, new Date('2026-01-02T03:04:05Z'));
    expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(event).toMatchObject({
      tenantId: 'radiology',
      correlationId: 'dimse-1',
      occurredAt: '2026-01-02T03:04:05.000Z',
      event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
      action: 'E',
      outcome: 0,
      source: 'gateway',
      participants: [
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '10.0.0.7', roles: [{ code: '110153' }] },
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110152' }] },
      ],
      objects: [
        {
          typeCode: '2',
          role: { code: '3' },
          idType: { code: '110181', codingScheme: 'DCM' },
          id: '1.2.840.10008.5.1.4.1.2.2.1',
          details: { TransferSyntax: '1.2.840.10008.1.2', QueryRetrieveLevel: 'STUDY', PatientName: 'Doe^J*' },
        },
      ],
    });
    expect(Buffer.from(event.objects[0]!.query!, 'base64').equals(identifier)).toBe(true);
    expect(event.outcomeDescription).toBeUndefined();
  });

  it('names a QIDO-RS search by its URL, and says how a query failed or was cancelled', () => {
    const failed = queryAuditEvent(
      {
        ...dimse,
        target: { url: 'http://pacs/dicomweb/studies' },
        query: Buffer.from('PatientID=P%201'),
        transferSyntaxUid: undefined,
        keys: { PatientID: 'P 1' },
        outcome: 'failure',
        failure: 'limit must be a positive integer',
      },
      new Date(),
    );
    expect(() => AuditEventV1.schema.parse(failed)).not.toThrow();
    expect(failed).toMatchObject({
      outcome: 4,
      outcomeDescription: 'limit must be a positive integer',
      objects: [{ idType: { code: '12', codingScheme: 'RFC-3881' }, id: 'http://pacs/dicomweb/studies' }],
    });
    expect(failed.objects[0]!.details).toEqual({ PatientID: 'P 1' });
    expect(Buffer.from(failed.objects[0]!.query!, 'base64').toString()).toBe('PatientID=P%201');
    const cancelled = queryAuditEvent({ ...dimse, outcome: 'cancelled' }, new Date());
    expect(cancelled).toMatchObject({ outcome: 0, outcomeDescription: 'cancelled by the requestor' });
  });
});
