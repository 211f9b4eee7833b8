import type { AuditPage, AuditQuery, AuditRecord } from './audit-store.port';

// Checks of what the callers of an AuditStore pass, shared by the adapters so that each refuses the
// same input with the same error, before anything is read or written. A bad argument is a bug of
// the caller (the audit service validates what it receives first): a plain Error whose message
// starts with the argument's name, never retriable. They check only what the stores rely on (the
// keys, the chain order, what records are searched by), not the whole AuditEventV1 schema.

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_ID_LENGTH = 256;
/** Largest page of range and search. */
export const MAX_AUDIT_PAGE = 1000;
/** Most records one append takes, and most event ids one existingEventIds checks. */
export const MAX_AUDIT_BATCH = 10_000;
const OUTCOMES: readonly number[] = [0, 4, 8, 12];

/** The Error of an argument an AuditStore cannot take. */
export function invalidAuditArgument(field: string, problem: string): Error {
  return new Error(`${field}: ${problem} (audit store argument)`);
}

/** An id (tenant, event, exporter): a non-empty string of 256 characters at most. */
export function checkAuditId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidAuditArgument(field, 'must be a non-empty string');
  if (value.length > MAX_ID_LENGTH) throw invalidAuditArgument(field, `is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

/** An integer in min..max. */
export function checkAuditInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidAuditArgument(field, `${String(value)} is not an integer in ${min}..${max}`);
  }
  return value;
}

/** A page size of range or search: 1 to 1000. */
export function checkAuditLimit(field: string, value: unknown): number {
  return checkAuditInteger(field, value, 1, MAX_AUDIT_PAGE);
}

/**
 * An ISO 8601 date and time with its zone, as toISOString() (UTC, milliseconds), so that instants
 * compare as strings whatever offset they were written with.
 */
export function auditInstantOf(field: string, value: unknown): string {
  const time = typeof value === 'string' && ISO_INSTANT.test(value) && isCalendarDay(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw invalidAuditArgument(field, `"${String(value)}" is not an ISO 8601 date and time with a zone`);
  }
  const instant = new Date(time).toISOString();
  // Instants compare as strings: only those of four-digit years do.
  if (instant.length !== 24) throw invalidAuditArgument(field, `"${String(value)}" is out of range`);
  return instant;
}

/** Whether the date of `YYYY-MM-DD...` is a day of the calendar (Date.parse takes 2024-02-30 for March 1st). */
function isCalendarDay(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function checkObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidAuditArgument(field, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function checkList(field: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidAuditArgument(field, 'must be a list');
  return value;
}

function checkHash(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw invalidAuditArgument(field, 'must be a SHA-256 as 64 lowercase hex digits');
  }
  return value;
}

/**
 * Records to append: 1 to 10,000 records (none is allowed and appends nothing) of one tenant with
 * consecutive seqs, each naming its event's tenant and eventId, with valid hashes and the event
 * fields the stores search by. The records are returned as given: the stores keep them as they are.
 */
export function checkAuditRecords(records: readonly AuditRecord[]): readonly AuditRecord[] {
  const list = checkList('records', records);
  if (list.length > MAX_AUDIT_BATCH) throw invalidAuditArgument('records', `holds more than ${MAX_AUDIT_BATCH}`);
  list.forEach((value, i) => {
    const field = `records[${i}]`;
    const record = checkObject(field, value);
    const tenantId = checkAuditId(`${field}.tenantId`, record['tenantId']);
    const seq = checkAuditInteger(`${field}.seq`, record['seq'], 1);
    if (i > 0) {
      const previous = list[i - 1] as AuditRecord;
      if (tenantId !== previous.tenantId) throw invalidAuditArgument(`${field}.tenantId`, 'differs from records[0]');
      if (seq !== previous.seq + 1) throw invalidAuditArgument(`${field}.seq`, `is not ${previous.seq + 1}`);
    }
    const eventId = checkAuditId(`${field}.eventId`, record['eventId']);
    auditInstantOf(`${field}.recordedAt`, record['recordedAt']);
    checkHash(`${field}.prevHash`, record['prevHash']);
    checkHash(`${field}.hash`, record['hash']);
    const event = checkObject(`${field}.event`, record['event']);
    if (event['tenantId'] !== tenantId) throw invalidAuditArgument(`${field}.event.tenantId`, `is not ${tenantId}`);
    if (event['eventId'] !== eventId) throw invalidAuditArgument(`${field}.event.eventId`, `is not ${eventId}`);
    auditInstantOf(`${field}.event.occurredAt`, event['occurredAt']);
    checkAuditId(`${field}.event.event.code`, checkObject(`${field}.event.event`, event['event'])['code']);
    if (!OUTCOMES.includes(event['outcome'] as number)) {
      throw invalidAuditArgument(`${field}.event.outcome`, `${String(event['outcome'])} is not 0, 4, 8 or 12`);
    }
    checkList(`${field}.event.participants`, event['participants']).forEach((participant, j) =>
      checkAuditId(
        `${field}.event.participants[${j}].userId`,
        checkObject(`${field}.event.participants[${j}]`, participant)['userId'],
      ),
    );
    checkList(`${field}.event.objects`, event['objects']).forEach((object, j) => {
      const checked = checkObject(`${field}.event.objects[${j}]`, object);
      checkObject(`${field}.event.objects[${j}].idType`, checked['idType']);
      if (typeof checked['id'] !== 'string')
        throw invalidAuditArgument(`${field}.event.objects[${j}].id`, 'must be a string');
    });
  });
  return list as readonly AuditRecord[];
}

/** Event ids to look up: a list of non-empty ids, at most 10,000; returned without repeats. */
export function checkAuditEventIds(eventIds: readonly string[]): string[] {
  const list = checkList('eventIds', eventIds);
  if (list.length > MAX_AUDIT_BATCH) throw invalidAuditArgument('eventIds', `holds more than ${MAX_AUDIT_BATCH}`);
  return [...new Set(list.map((id, i) => checkAuditId(`eventIds[${i}]`, id)))];
}

/** A search's filters, checked, with `from` and `to` as UTC instants (compared with occurredAt as UTC). */
export function checkAuditQuery(query: AuditQuery): AuditQuery {
  const checked = checkObject('query', query) as AuditQuery;
  const { patientId, studyUid, user, eventCode, outcome, from, to } = checked;
  if (outcome !== undefined && !OUTCOMES.includes(outcome)) {
    throw invalidAuditArgument('query.outcome', `${String(outcome)} is not 0, 4, 8 or 12`);
  }
  return {
    ...(patientId !== undefined ? { patientId: checkAuditId('query.patientId', patientId) } : {}),
    ...(studyUid !== undefined ? { studyUid: checkAuditId('query.studyUid', studyUid) } : {}),
    ...(user !== undefined ? { user: checkAuditId('query.user', user) } : {}),
    ...(eventCode !== undefined ? { eventCode: checkAuditId('query.eventCode', eventCode) } : {}),
    ...(outcome !== undefined ? { outcome } : {}),
    ...(from !== undefined ? { from: auditInstantOf('query.from', from) } : {}),
    ...(to !== undefined ? { to: auditInstantOf('query.to', to) } : {}),
  };
}

/** A search's page: a limit of 1 to 1000, and afterSeq 0 (the start) when not given. */
export function checkAuditPage(page: AuditPage): { limit: number; afterSeq: number } {
  const checked = checkObject('page', page);
  return {
    limit: checkAuditLimit('page.limit', checked['limit']),
    afterSeq: checked['afterSeq'] === undefined ? 0 : checkAuditInteger('page.afterSeq', checked['afterSeq'], 0),
  };
}
