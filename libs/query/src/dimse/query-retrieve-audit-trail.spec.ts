import { AuditEventV1 } from '@pacs/contracts';
import type { QueryRetrieveActivity } from './query-retrieve-audit.port';
import { queryRetrieveAuditEvents } from './query-retrieve-audit-trail';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const ELE = '1.2.840.10008.1.2.1';
const base = {
  tenantId: 'radiology',
  correlationId: 'dimse-1',
  callingAeTitle: 'VIEWER',
  calledAeTitle: 'RAD_PACS',
  remoteAddress: '10.0.0.7',
  count: 2,
  studyInstanceUids: ['1.1'],
};
const transfer = (sop: string, outcome: 'completed' | 'warning' | 'failed' | 'not-attempted', reason?: string) => ({
  studyInstanceUid: '1.1',
  sopClassUid: CT,
  sopInstanceUid: sop,
  patientId: 'P1',
  patientName: 'Doe^Jane',
  outcome,
  ...(outcome === 'completed' || outcome === 'warning' ? { transferSyntaxUid: ELE } : {}),
  ...(reason ? { reason } : {}),
});
const now = new Date('2026-05-06T07:08:09Z');
const valid = (activity: QueryRetrieveActivity) => {
  const events = queryRetrieveAuditEvents(activity, now);
  for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
  return events;
};

describe('audit records of the DIMSE Query/Retrieve SCP', () => {
  it('C-FIND: a Query record with the identifier, its transfer syntax and keys', () => {
    const bytes = Buffer.from([1, 2, 3, 4]);
    const [event, ...more] = valid({
      ...base,
      service: 'C-FIND',
      sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1',
      level: 'STUDY',
      outcome: 'success',
      identifier: { bytes, transferSyntaxUid: ELE, keys: { QueryRetrieveLevel: 'STUDY', PatientID: 'P1' } },
    });
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      event: { code: '110112' },
      action: 'E',
      outcome: 0,
      participants: [
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '10.0.0.7' },
        { userId: 'RAD_PACS', isRequestor: false },
      ],
      objects: [
        {
          id: '1.2.840.10008.5.1.4.1.2.2.1',
          query: bytes.toString('base64'),
          details: { TransferSyntax: ELE, QueryRetrieveLevel: 'STUDY', PatientID: 'P1' },
        },
      ],
    });
  });

  it('C-GET: the requestor is the destination; what was sent is counted, failures said', () => {
    const [event] = valid({
      ...base,
      service: 'C-GET',
      sopClassUid: '1.2.840.10008.5.1.4.1.2.2.3',
      outcome: 'failure',
      transfers: [transfer('1.1.1', 'completed'), transfer('1.1.2', 'warning'), transfer('1.1.3', 'failed', 'no role')],
    });
    expect(event).toMatchObject({
      event: { code: '110104' },
      action: 'R',
      outcome: 4,
      outcomeDescription: '1 instance(s) not sent: no role',
      participants: [
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110153' }] },
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '10.0.0.7', roles: [{ code: '110152' }] },
      ],
      objects: [
        { typeCode: '1', id: 'P1', name: 'Doe^Jane' },
        { typeCode: '2', id: '1.1', details: { instances: '2', [`sopClass:${CT}`]: '2' } },
      ],
    });
    expect(event!.participants).toHaveLength(2);
  });

  it('C-MOVE: the Move Destination receives, the requestor is named beside it; cancel is said', () => {
    const [event] = valid({
      ...base,
      service: 'C-MOVE',
      sopClassUid: '1.2.840.10008.5.1.4.1.2.2.2',
      moveDestination: 'ARCHIVE2',
      outcome: 'cancelled',
      transfers: [transfer('1.1.1', 'completed'), transfer('1.1.2', 'not-attempted')],
    });
    expect(event).toMatchObject({
      outcome: 4,
      outcomeDescription: 'cancelled by the requestor, 1 instance(s) not sent',
      participants: [
        { userId: 'RAD_PACS', isRequestor: false },
        { userId: 'ARCHIVE2', isRequestor: false, roles: [{ code: '110152' }] },
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '10.0.0.7' },
      ],
    });
  });

  it('a refused retrieve is one record with outcome 8; a retrieve that selected nothing, none', () => {
    const [refused] = valid({
      ...base,
      service: 'C-MOVE',
      sopClassUid: '1.2.840.10008.5.1.4.1.2.2.2',
      moveDestination: 'VIEWER',
      count: 0,
      studyInstanceUids: [],
      outcome: 'failure',
      failure: 'Query/Retrieve Level (0008,0052) is missing',
    });
    expect(refused).toMatchObject({
      outcome: 8,
      outcomeDescription: 'C-MOVE refused: Query/Retrieve Level (0008,0052) is missing',
      objects: [],
    });
    // The requestor moved to itself: one participant for it.
    expect(refused!.participants.map((p) => [p.userId, p.isRequestor])).toEqual([
      ['RAD_PACS', false],
      ['VIEWER', true],
    ]);
    expect(
      valid({
        ...base,
        service: 'C-GET',
        sopClassUid: '1.2',
        count: 0,
        studyInstanceUids: [],
        outcome: 'success',
        transfers: [],
      }),
    ).toEqual([]);
  });
});
