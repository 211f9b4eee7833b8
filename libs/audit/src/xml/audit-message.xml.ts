import { isIP } from 'node:net';
import type { AuditEvent } from '@pacs/contracts';
import { escapeXml } from './xml-escape';

/** How an audit message names its source. */
export interface AuditMessageOptions {
  /** AuditSourceID: which process reported the event, e.g. `<hostname>/<service>`. */
  readonly auditSourceId: string;
  /** AuditEnterpriseSiteID; the event's tenant when not given. */
  readonly enterpriseSiteId?: string;
  /** Starts the message with `<?xml version="1.0" encoding="UTF-8"?>` (default true). */
  readonly xmlDeclaration?: boolean;
}

type CodedValue = AuditEvent['event'];
type Participant = AuditEvent['participants'][number];
type ParticipantObject = AuditEvent['objects'][number];

/** Detail keys that carry instance counts (see libs/audit-records): `sopClass:<uid>` → count. */
const SOP_CLASS_DETAIL = 'sopClass:';
/** Detail key of the total instance count of an object. */
const INSTANCES_DETAIL = 'instances';

/**
 * Renders an audit event as the audit message of PS3.15 A.5.1 (the schema of A.5.1.1, in
 * libs/audit/schema/audit-message.rnc): no namespace, UTF-8, on one line.
 *
 * Elements follow the order the schema's groups require; attributes follow the schema's listing
 * (their order is not significant in XML). Where the event holds less than the schema requires,
 * the message is completed so that it still validates:
 * - an event without participants gets one for the audit source itself (ActiveParticipant+);
 * - an object without a name or query is named by its id (exactly one of ParticipantObjectName and
 *   ParticipantObjectQuery, A.5.1.1);
 * - an object with both keeps the query and carries the name as a ParticipantObjectDetail.
 */
export function renderAuditMessage(event: AuditEvent, options: AuditMessageOptions): string {
  const participants: readonly Participant[] =
    event.participants.length > 0 ? event.participants : [{ userId: event.source, isRequestor: false }];
  const parts = [
    options.xmlDeclaration === false ? '' : '<?xml version="1.0" encoding="UTF-8"?>',
    '<AuditMessage>',
    eventIdentification(event),
    ...participants.map(activeParticipant),
    auditSourceIdentification(event, options),
    ...event.objects.map(participantObject),
    '</AuditMessage>',
  ];
  return parts.join('');
}

function eventIdentification(event: AuditEvent): string {
  const attributes = attrs([
    ['EventActionCode', event.action],
    // xsd:dateTime; the event's instant in UTC whatever offset the producer wrote.
    ['EventDateTime', new Date(event.occurredAt).toISOString()],
    ['EventOutcomeIndicator', String(event.outcome)],
  ]);
  return element('EventIdentification', attributes, [
    coded('EventID', event.event),
    ...(event.eventTypes ?? []).map((type) => coded('EventTypeCode', type)),
    event.outcomeDescription !== undefined ? textElement('EventOutcomeDescription', event.outcomeDescription) : '',
  ]);
}

function activeParticipant(participant: Participant): string {
  const accessPoint = participant.networkAccessPoint ? networkAccessPoint(participant.networkAccessPoint) : undefined;
  const attributes = attrs([
    ['UserID', participant.userId],
    ['UserName', participant.userName],
    ['UserIsRequestor', participant.isRequestor ? 'true' : 'false'],
    ['NetworkAccessPointID', accessPoint?.id],
    ['NetworkAccessPointTypeCode', accessPoint?.typeCode],
  ]);
  return element(
    'ActiveParticipant',
    attributes,
    (participant.roles ?? []).map((role) => coded('RoleIDCode', role)),
  );
}

function auditSourceIdentification(event: AuditEvent, options: AuditMessageOptions): string {
  const attributes = attrs([
    ['AuditEnterpriseSiteID', options.enterpriseSiteId ?? event.tenantId],
    ['AuditSourceID', options.auditSourceId],
  ]);
  // Audit Source Type Code 4, "Application Server process or thread" (PS3.15 A.5.1.2.1): the
  // schema accepts the bare digit without a code system.
  return element('AuditSourceIdentification', attributes, ['<AuditSourceTypeCode csd-code="4"/>']);
}

function participantObject(object: ParticipantObject): string {
  const { plain, sopClasses, instances } = splitDetails(object.details ?? {});
  const query = object.query !== undefined ? base64OrEncoded(object.query) : undefined;
  if (query !== undefined && object.name !== undefined) plain.unshift(['ParticipantObjectName', object.name]);
  const attributes = attrs([
    ['ParticipantObjectID', object.id],
    ['ParticipantObjectTypeCode', object.typeCode],
    ['ParticipantObjectTypeCodeRole', object.role ? typeCodeRole(object.role) : undefined],
  ]);
  const description =
    sopClasses.length > 0
      ? sopClasses.map(
          ([uid, count]) =>
            `<SOPClass${attrs([
              ['UID', uid],
              ['NumberOfInstances', count],
            ])}/>`,
        )
      : instances !== undefined
        ? // A count without its SOP classes: the schema's SOPClass UID is optional.
          [`<SOPClass${attrs([['NumberOfInstances', instances]])}/>`]
        : [];
  return element('ParticipantObjectIdentification', attributes, [
    coded('ParticipantObjectIDTypeCode', object.idType),
    query !== undefined
      ? `<ParticipantObjectQuery>${query}</ParticipantObjectQuery>`
      : textElement('ParticipantObjectName', object.name ?? object.id),
    ...plain.map(
      ([type, value]) =>
        `<ParticipantObjectDetail${attrs([
          ['type', type],
          ['value', Buffer.from(value, 'utf8').toString('base64')],
        ])}/>`,
    ),
    description.length > 0
      ? `<ParticipantObjectDescription>${description.join('')}</ParticipantObjectDescription>`
      : '',
  ]);
}

/**
 * Sorts an object's details: SOP class counts (ParticipantObjectDescription SOPClass, PS3.15
 * A.5.2.5), the total, and the rest (ParticipantObjectDetail, whose value is base64 so that any
 * content, XML fragments included, is kept as given: the comment on ValuePair in A.5.1.1).
 * A count that is not an integer is kept as a plain detail (NumberOfInstances is xsd:integer).
 */
function splitDetails(details: Readonly<Record<string, string>>): {
  plain: [string, string][];
  sopClasses: [string, string][];
  instances: string | undefined;
} {
  const plain: [string, string][] = [];
  const sopClasses: [string, string][] = [];
  let instances: string | undefined;
  for (const [key, value] of Object.entries(details)) {
    const isCount = /^\d+$/.test(value);
    if (isCount && key.startsWith(SOP_CLASS_DETAIL) && key.length > SOP_CLASS_DETAIL.length) {
      sopClasses.push([key.slice(SOP_CLASS_DETAIL.length), value]);
    } else if (isCount && key === INSTANCES_DETAIL) {
      instances = value;
    } else {
      plain.push([key, value]);
    }
  }
  return { plain, sopClasses, instances };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * ParticipantObjectQuery is xs:base64Binary; the event carries it in base64 already. A value that
 * is not base64 is encoded (its UTF-8 bytes), so the message stays valid and the text is kept.
 */
function base64OrEncoded(query: string): string {
  return BASE64.test(query) ? query : Buffer.from(query, 'utf8').toString('base64');
}

/**
 * ParticipantObjectTypeCodeRole takes the numbers 1-26 of PS3.15 A.5.1.2.2 only (not extensible,
 * no coded terminology): the role's code when it is one of them, otherwise the attribute is left
 * out (it is optional) rather than making the message invalid.
 */
function typeCodeRole(role: CodedValue): string | undefined {
  const n = /^\d{1,2}$/.test(role.code) ? Number(role.code) : 0;
  return n >= 1 && n <= 26 ? String(n) : undefined;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * NetworkAccessPointTypeCode (PS3.15 A.5.1.1): 2 for an IP address (v4 or v6, brackets of a URL
 * literal removed), 1 for a machine name, 5 for a URI; none when it is neither.
 */
function networkAccessPoint(value: string): { id: string; typeCode?: string } {
  const unbracketed = /^\[(.*)\]$/.exec(value)?.[1];
  if (unbracketed !== undefined && isIP(unbracketed) === 6) return { id: unbracketed, typeCode: '2' };
  if (isIP(value) !== 0) return { id: value, typeCode: '2' };
  if (HOST_NAME.test(value)) return { id: value, typeCode: '1' };
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return { id: value, typeCode: '5' };
  return { id: value };
}

/** A coded value (CodedValueType): csd-code, codeSystemName and originalText, all required. */
function coded(name: string, value: CodedValue): string {
  return `<${name}${attrs([
    ['csd-code', value.code],
    ['codeSystemName', value.codingScheme],
    ['originalText', value.meaning],
  ])}/>`;
}

function attrs(pairs: readonly (readonly [string, string | undefined])[]): string {
  return pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
}

function textElement(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function element(name: string, attributes: string, children: readonly string[]): string {
  const content = children.join('');
  return content === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${content}</${name}>`;
}
