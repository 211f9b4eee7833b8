import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { InstancesSentAudit } from '@pacs/audit-records';
import { validateAuditXml } from '../testing';
import { renderAuditMessage } from './audit-message.xml';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const OPTIONS = { auditSourceId: 'pacs-1.example.org/query' };

function base(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: 'radiology',
    occurredAt: '2025-03-04T10:11:12.345+01:00',
    correlationId: 'corr-1',
    causationId: null,
    event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
    action: 'E',
    outcome: 0,
    source: 'query',
    participants: [],
    objects: [],
    ...overrides,
  };
}

/** A retrieve of two studies of one patient, as the gateway records it. */
function instancesTransferred(): AuditEvent {
  const audit = new InstancesSentAudit();
  for (const [study, sopClass] of [
    ['1.2.3.1', CT],
    ['1.2.3.1', CT],
    ['1.2.3.1', MR],
    ['1.2.3.2', MR],
  ] as const) {
    audit.recordSent({ studyInstanceUid: study, sopClassUid: sopClass, patientId: 'PID-1', patientName: 'DOE^JANE' });
  }
  const [event] = audit.toEvents(
    {
      service: 'gateway',
      tenantId: 'radiology',
      correlationId: 'assoc-7',
      source: { userId: 'PACS_AE', address: '10.0.0.5', isRequestor: false },
      destination: { userId: 'VIEWER', address: 'viewer.example.org', isRequestor: true },
    },
    new Date('2025-03-04T09:00:00Z'),
  );
  return event!;
}

function query(): AuditEvent {
  return base({
    participants: [
      {
        userId: 'MODALITY_1',
        isRequestor: true,
        roles: [{ code: '110153', codingScheme: 'DCM', meaning: 'Source Role ID' }],
        networkAccessPoint: '192.168.1.20',
      },
      {
        userId: 'PACS_AE',
        isRequestor: false,
        roles: [{ code: '110152', codingScheme: 'DCM', meaning: 'Destination Role ID' }],
      },
    ],
    objects: [
      {
        typeCode: '2',
        role: { code: '3', codingScheme: 'RFC-3881', meaning: 'Report' },
        idType: { code: '110181', codingScheme: 'DCM', meaning: 'SOP Class UID' },
        id: STUDY_ROOT_FIND,
        query: Buffer.from('\x08\x00\x52\x00CS\x06\x00STUDY ').toString('base64'),
        details: { TransferSyntax: '1.2.840.10008.1.2.1', PatientName: 'DOE*', StudyDate: '20250101-' },
      },
    ],
  });
}

function failedLogin(): AuditEvent {
  return base({
    event: { code: '110114', codingScheme: 'DCM', meaning: 'User Authenticated' },
    eventTypes: [{ code: '110122', codingScheme: 'DCM', meaning: 'Login' }],
    action: 'E',
    outcome: 4,
    outcomeDescription: 'invalid credentials',
    source: 'identity',
    participants: [
      { userId: 'jdoe', userName: 'Jane Doe', isRequestor: true, networkAccessPoint: '2001:db8::17' },
      {
        userId: 'identity',
        isRequestor: false,
        roles: [{ code: '110150', codingScheme: 'DCM', meaning: 'Application' }],
        networkAccessPoint: 'auth.example.org',
      },
    ],
  });
}

function applicationStart(): AuditEvent {
  return base({
    event: { code: '110100', codingScheme: 'DCM', meaning: 'Application Activity' },
    eventTypes: [{ code: '110120', codingScheme: 'DCM', meaning: 'Application Start' }],
    source: 'storage',
  });
}

/** Markup, quotes, control and non-XML characters wherever the event carries text. */
function hostileNames(): AuditEvent {
  const nasty = `O'Brien <b>&amp; "Sons"</b>\u0000\u0001\u0007\u001b\ttab\nline\r]]>\ud800\uffff`;
  return base({
    event: { code: '110110', codingScheme: 'DCM', meaning: `Patient <Record> & "more"` },
    action: 'U',
    outcome: 12,
    outcomeDescription: nasty,
    participants: [{ userId: nasty, userName: nasty, isRequestor: true, networkAccessPoint: 'not a host <name>' }],
    objects: [
      {
        typeCode: '1',
        role: { code: '1', codingScheme: 'RFC-3881', meaning: 'Patient' },
        idType: { code: '2', codingScheme: 'RFC-3881', meaning: 'Patient Number' },
        id: `PID<&>"'\u0002`,
        name: nasty,
        details: { [`key "<&>"`]: nasty, 'sopClass:x': 'not a number' },
      },
      {
        typeCode: '2',
        role: { code: '99', codingScheme: 'local', meaning: 'not a PS3.15 role' },
        idType: { code: '110180', codingScheme: 'DCM', meaning: 'Study Instance UID' },
        id: '1.2.3',
        query: 'not base64 <&>',
        name: 'both a name and a query',
        details: { instances: '3' },
      },
    ],
  });
}

describe('renderAuditMessage (PS3.15 A.5.1)', () => {
  const events: Record<string, AuditEvent> = {
    instancesTransferred: instancesTransferred(),
    query: query(),
    failedLogin: failedLogin(),
    applicationStart: applicationStart(),
    hostileNames: hostileNames(),
  };

  it('renders messages that validate against the schema of A.5.1.1 (jing)', async () => {
    const names = Object.keys(events);
    const xml = names.map((name) => renderAuditMessage(events[name]!, OPTIONS));
    const result = await validateAuditXml(xml);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('validates without the XML declaration and with an enterprise site', async () => {
    const xml = renderAuditMessage(query(), { ...OPTIONS, enterpriseSiteId: 'Site A', xmlDeclaration: false });
    expect(xml.startsWith('<AuditMessage>')).toBe(true);
    expect(xml).toContain('AuditEnterpriseSiteID="Site A"');
    expect(await validateAuditXml(xml)).toEqual({ valid: true, errors: [] });
  });

  it('writes the event identification in UTC, with coded values and the outcome', () => {
    const xml = renderAuditMessage(failedLogin(), OPTIONS);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><AuditMessage>')).toBe(true);
    expect(xml).toContain(
      '<EventIdentification EventActionCode="E" EventDateTime="2025-03-04T09:11:12.345Z" EventOutcomeIndicator="4">' +
        '<EventID csd-code="110114" codeSystemName="DCM" originalText="User Authenticated"/>' +
        '<EventTypeCode csd-code="110122" codeSystemName="DCM" originalText="Login"/>' +
        '<EventOutcomeDescription>invalid credentials</EventOutcomeDescription></EventIdentification>',
    );
    expect(xml).toContain(
      '<AuditSourceIdentification AuditEnterpriseSiteID="radiology" AuditSourceID="pacs-1.example.org/query">' +
        '<AuditSourceTypeCode csd-code="4"/></AuditSourceIdentification>',
    );
  });

  it('types network access points: 2 for IPv4 and IPv6 addresses, 1 for a host name', () => {
    const login = renderAuditMessage(failedLogin(), OPTIONS);
    expect(login).toContain(
      '<ActiveParticipant UserID="jdoe" UserName="Jane Doe" UserIsRequestor="true" ' +
        'NetworkAccessPointID="2001:db8::17" NetworkAccessPointTypeCode="2"/>',
    );
    expect(login).toContain('NetworkAccessPointID="auth.example.org" NetworkAccessPointTypeCode="1"');
    expect(renderAuditMessage(query(), OPTIONS)).toContain(
      'NetworkAccessPointID="192.168.1.20" NetworkAccessPointTypeCode="2"',
    );
    const bracketed = base({ participants: [{ userId: 'u', isRequestor: true, networkAccessPoint: '[::1]' }] });
    expect(renderAuditMessage(bracketed, OPTIONS)).toContain(
      'NetworkAccessPointID="::1" NetworkAccessPointTypeCode="2"',
    );
  });

  it('describes transferred instances by SOP class, and names the patient', () => {
    const xml = renderAuditMessage(instancesTransferred(), OPTIONS);
    expect(xml).toContain(
      '<ParticipantObjectIdentification ParticipantObjectID="1.2.3.1" ParticipantObjectTypeCode="2" ' +
        'ParticipantObjectTypeCodeRole="3">' +
        '<ParticipantObjectIDTypeCode csd-code="110180" codeSystemName="DCM" originalText="Study Instance UID"/>' +
        '<ParticipantObjectName>1.2.3.1</ParticipantObjectName>' +
        '<ParticipantObjectDescription>' +
        `<SOPClass UID="${CT}" NumberOfInstances="2"/><SOPClass UID="${MR}" NumberOfInstances="1"/>` +
        '</ParticipantObjectDescription></ParticipantObjectIdentification>',
    );
    expect(xml).toContain(
      '<ParticipantObjectIdentification ParticipantObjectID="PID-1" ParticipantObjectTypeCode="1" ' +
        'ParticipantObjectTypeCodeRole="1">' +
        '<ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" originalText="Patient Number"/>' +
        '<ParticipantObjectName>DOE^JANE</ParticipantObjectName></ParticipantObjectIdentification>',
    );
    expect(xml).not.toContain('type="instances"');
  });

  it('carries the query in base64 and the details as base64 value pairs', () => {
    const event = query();
    const xml = renderAuditMessage(event, OPTIONS);
    expect(xml).toContain(`<ParticipantObjectQuery>${event.objects[0]!.query}</ParticipantObjectQuery>`);
    expect(xml).not.toContain('<ParticipantObjectName>');
    const details = [...xml.matchAll(/<ParticipantObjectDetail type="([^"]*)" value="([^"]*)"\/>/g)].map((m) => [
      m[1],
      Buffer.from(m[2]!, 'base64').toString('utf8'),
    ]);
    expect(details).toEqual([
      ['TransferSyntax', '1.2.840.10008.1.2.1'],
      ['PatientName', 'DOE*'],
      ['StudyDate', '20250101-'],
    ]);
  });

  it('gives an event without participants its audit source as participant', () => {
    const xml = renderAuditMessage(applicationStart(), OPTIONS);
    expect(xml).toContain('<ActiveParticipant UserID="storage" UserIsRequestor="false"/>');
    expect(xml.match(/<ActiveParticipant /g)).toHaveLength(1);
  });

  it('escapes markup and quotes, and drops characters XML 1.0 does not allow', () => {
    const xml = renderAuditMessage(hostileNames(), OPTIONS);
    const notXml = [...xml].filter((c) => {
      const code = c.codePointAt(0)!;
      return (code < 0x20 && code !== 0x09) || (code >= 0xd800 && code <= 0xdfff) || code === 0xffff;
    });
    expect(notXml).toEqual([]);
    expect(xml).not.toContain('\n');
    expect(xml).not.toContain(']]>');
    expect(xml).toContain(
      "<EventOutcomeDescription>O'Brien &lt;b&gt;&amp;amp; &quot;Sons&quot;&lt;/b&gt;&#9;tab&#10;line&#13;]]&gt;" +
        '</EventOutcomeDescription>',
    );
    expect(xml).toContain('ParticipantObjectID="PID&lt;&amp;&gt;&quot;\'"');
    expect(xml).toContain('originalText="Patient &lt;Record&gt; &amp; &quot;more&quot;"');
    // The object with a query and a name keeps the query (encoded: it was not base64) and the name
    // as a detail; its role, not one of PS3.15 A.5.1.2.2, is left out.
    expect(xml).toContain(
      `<ParticipantObjectQuery>${Buffer.from('not base64 <&>').toString('base64')}</ParticipantObjectQuery>`,
    );
    expect(xml).toContain(
      `<ParticipantObjectDetail type="ParticipantObjectName" value="${Buffer.from('both a name and a query').toString('base64')}"/>`,
    );
    expect(xml).toContain(
      '<ParticipantObjectIdentification ParticipantObjectID="1.2.3" ParticipantObjectTypeCode="2">',
    );
    expect(xml).toContain('<SOPClass NumberOfInstances="3"/>');
    // A detail value is kept byte for byte in base64, whatever it holds.
    expect(xml).toContain(
      `value="${Buffer.from(hostileNames().objects[0]!.details![`key "<&>"`]!).toString('base64')}"`,
    );
  });

  it('is proven by a validator that reports broken messages', async () => {
    const good = renderAuditMessage(query(), OPTIONS);
    const noEventId = good.replace(/<EventID [^>]*\/>/, '');
    const badOutcome = good.replace('EventOutcomeIndicator="0"', 'EventOutcomeIndicator="3"');
    const result = await validateAuditXml([good, noEventId, badOutcome]);
    expect(result.valid).toBe(false);
    expect(result.errors.join('\n')).toMatch(/message\[1\].*missing required element "EventID"/);
    expect(result.errors.join('\n')).toMatch(/message\[2\].*EventOutcomeIndicator/);
    expect(result.errors.some((line) => line.startsWith('message[0]'))).toBe(false);
    const notXml = await validateAuditXml('<AuditMessage><EventIdentification>');
    expect(notXml.valid).toBe(false);
    expect(notXml.errors.length).toBeGreaterThan(0);
  });
});
