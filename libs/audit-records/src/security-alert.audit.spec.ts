import { AuditEventV1 } from '@pacs/contracts';
import { securityAlertEvent } from './security-alert.audit';

describe('Security Alert (PS3.15 A.5.3.11)', () => {
  it('records a refused request as Use of Restricted Function: who, from where, which URL and why', () => {
    const description =
      'POST /dicomweb/studies needs one of the roles technologist, radiologist on tenant "default"; ris-1 has viewer';
    const event = securityAlertEvent(
      {
        service: 'pacs',
        tenantId: 'default',
        correlationId: 'http-3',
        user: { userId: 'ris-1', address: '10.0.0.7' },
        url: 'http://pacs.example:8080/dicomweb/studies',
        description,
      },
      new Date('2026-03-04T05:06:07Z'),
    );
    expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(event).toMatchObject({
      tenantId: 'default',
      correlationId: 'http-3',
      causationId: null,
      event: { code: '110113', codingScheme: 'DCM', meaning: 'Security Alert' },
      eventTypes: [{ code: '110132', codingScheme: 'DCM', meaning: 'Use of Restricted Function' }],
      action: 'E',
      outcome: 4,
      outcomeDescription: description,
      source: 'pacs',
      participants: [
        { userId: 'ris-1', isRequestor: true, networkAccessPoint: '10.0.0.7' },
        { userId: 'pacs', isRequestor: false, roles: [{ code: '110150' }] },
      ],
      objects: [
        {
          typeCode: '2',
          idType: { code: '12', codingScheme: 'RFC-3881', meaning: 'URI' },
          id: 'http://pacs.example:8080/dicomweb/studies',
          details: { alert: description },
        },
      ],
    });
  });
});
