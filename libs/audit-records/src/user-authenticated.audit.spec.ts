import { AuditEventV1 } from '@pacs/contracts';
import { userAuthenticatedEvent } from './user-authenticated.audit';

describe('User Authenticated (PS3.15 A.5.3.12)', () => {
  const now = new Date('2026-03-04T05:06:07Z');

  it('records an accepted key as a successful Login of the key by the service', () => {
    const event = userAuthenticatedEvent(
      {
        service: 'pacs',
        tenantId: 'radiology',
        correlationId: 'http-1',
        user: { userId: 'ris-1', address: '10.0.0.7' },
      },
      now,
    );
    expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(event).toEqual({
      eventId: expect.any(String),
      tenantId: 'radiology',
      occurredAt: '2026-03-04T05:06:07.000Z',
      correlationId: 'http-1',
      causationId: null,
      event: { code: '110114', codingScheme: 'DCM', meaning: 'User Authenticated' },
      eventTypes: [{ code: '110122', codingScheme: 'DCM', meaning: 'Login' }],
      action: 'E',
      outcome: 0,
      source: 'pacs',
      participants: [
        { userId: 'ris-1', isRequestor: true, networkAccessPoint: '10.0.0.7' },
        {
          userId: 'pacs',
          isRequestor: false,
          roles: [{ code: '110150', codingScheme: 'DCM', meaning: 'Application' }],
        },
      ],
      objects: [],
    });
  });

  it('records refused credentials as a Login with outcome 4 and the reason, by an unknown user', () => {
    const event = userAuthenticatedEvent(
      {
        service: 'gateway',
        tenantId: 'default',
        correlationId: 'http-2',
        user: { userId: '' },
        failure: 'unknown key',
      },
      now,
    );
    expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    expect(event).toMatchObject({ outcome: 4, outcomeDescription: 'unknown key', source: 'gateway' });
    expect(event.participants[0]).toEqual({ userId: 'unknown', isRequestor: true });
  });
});
