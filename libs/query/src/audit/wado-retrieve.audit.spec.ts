import { EventEmitter } from 'node:events';
import { AuditEventV1, type AuditEvent } from '@pacs/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '@pacs/audit-records';
import { correlationIdOf } from '@pacs/identity';
import { WadoRetrieveAudit } from './wado-retrieve.audit';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const req = {
  ip: '10.0.0.9',
  url: '/tenants/oncology/dicomweb/studies/1.1?accept=x',
  protocol: 'http',
  headers: { host: 'pacs:8080' },
  // As the access guard leaves it (libs/identity): the authenticated principal.
  principal: { id: 'viewer-7', kind: 'api-key' },
} as unknown as FastifyRequest;

/** A request's audit over a fake response, and what it published once the response closed. */
function audited() {
  const published: AuditEvent[] = [];
  const trail = { publish: (events: AuditEvent[]) => published.push(...events) } as unknown as AuditTrail;
  const raw = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true });
  const audit = new WadoRetrieveAudit(trail, req, { raw } as unknown as FastifyReply, () => new Date(0));
  const close = (statusCode: number, writableFinished = true) => {
    Object.assign(raw, { statusCode, writableFinished });
    raw.emit('close');
    for (const event of published) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
    return published;
  };
  return { audit, close };
}

const instance = (sop: string) => ({
  studyInstanceUid: '1.1',
  sopInstanceUid: sop,
  sopClassUid: CT,
  patientId: 'P1',
  patientName: 'Doe^Jane',
});

describe('WADO retrieve audit record', () => {
  it('counts each instance the answer read once, with the client as requestor and destination', () => {
    const { audit, close } = audited();
    audit.resolved({ tenantId: 'oncology', studyInstanceUid: '1.1' });
    audit.record(instance('1.1.1'));
    audit.record(instance('1.1.2'));
    audit.record(instance('1.1.1'));
    const [event, ...more] = close(200);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      tenantId: 'oncology',
      event: { code: '110104' },
      action: 'R',
      outcome: 0,
      participants: [
        { userId: 'http://pacs:8080/tenants/oncology/dicomweb/studies/1.1', isRequestor: false },
        { userId: 'viewer-7', networkAccessPoint: '10.0.0.9', isRequestor: true },
      ],
      objects: [
        { typeCode: '1', id: 'P1' },
        { typeCode: '2', id: '1.1', details: { instances: '2' } },
      ],
    });
    // The request's correlation id: its log-on record (AccessGuard) carries the same.
    expect(event!.correlationId).toBe(correlationIdOf(req));
  });

  it('says 4 for an answer cut short, 8 for an error status, and nothing without a tenant or data', () => {
    const cut = audited();
    cut.audit.resolved({ tenantId: 'oncology' });
    cut.audit.record(instance('1.1.1'));
    expect(cut.close(200, false)).toMatchObject([{ outcome: 4, outcomeDescription: 'the response was cut short' }]);

    const refused = audited();
    refused.audit.resolved({ tenantId: 'oncology', studyInstanceUid: '1.9' });
    refused.audit.record(instance('1.1.1'));
    expect(refused.close(406)).toMatchObject([
      { outcome: 8, outcomeDescription: 'answered HTTP 406', objects: [{ typeCode: '2', id: '1.9' }] },
    ]);

    expect(audited().close(404)).toEqual([]);
    const notModified = audited();
    notModified.audit.resolved({ tenantId: 'oncology', studyInstanceUid: '1.1' });
    expect(notModified.close(304)).toEqual([]);
  });
});
