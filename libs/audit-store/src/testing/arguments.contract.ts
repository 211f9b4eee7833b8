import type { AuditRecord, AuditStore } from '../audit-store.port';
import { auditContractContext, type OpenAuditStore } from './contract-context';
import { auditRecord, auditRecords, expectArgumentError } from './contract-fixtures';

type Call = (store: AuditStore) => Promise<unknown>;

// Arguments of the wrong type on purpose: callers in JavaScript, or JSON from a request.
const loose = <T>(value: unknown) => value as T;
const record = (overrides: Record<string, unknown>) => ({ ...auditRecord(1), ...overrides }) as AuditRecord;
const eventOf = (overrides: Record<string, unknown>) => {
  const base = auditRecord(1);
  return { ...base, event: { ...base.event, ...overrides } } as AuditRecord;
};
const page = { limit: 10 };

/** Each broken argument, the call that passes it, and the argument the error names. */
const BROKEN: readonly (readonly [string, Call, string])[] = [
  ['a head of no tenant', (s) => s.head(''), 'tenantId'],
  ['a tenant that is not a string', (s) => s.head(loose(7)), 'tenantId'],
  ['a read of no tenant', (s) => s.get('', 1), 'tenantId'],
  ['a read of seq 0', (s) => s.get('radiology', 0), 'seq'],
  ['a read of a fractional seq', (s) => s.get('radiology', 1.5), 'seq'],
  ['a range of no tenant', (s) => s.range('', 1, 10), 'tenantId'],
  ['a range from seq 0', (s) => s.range('radiology', 0, 10), 'fromSeq'],
  ['a range of 0 records', (s) => s.range('radiology', 1, 0), 'limit'],
  ['a range of 1001 records', (s) => s.range('radiology', 1, 1001), 'limit'],
  ['a search of no tenant', (s) => s.search('', {}, page), 'tenantId'],
  ['a search page of 0', (s) => s.search('radiology', {}, { limit: 0 }), 'page.limit'],
  ['a search page of 1001', (s) => s.search('radiology', {}, { limit: 1001 }), 'page.limit'],
  ['a search page of no limit', (s) => s.search('radiology', {}, loose({})), 'page.limit'],
  ['a search after seq -1', (s) => s.search('radiology', {}, { limit: 1, afterSeq: -1 }), 'page.afterSeq'],
  ['a search of an empty patient id', (s) => s.search('radiology', { patientId: '' }, page), 'query.patientId'],
  ['a search of an empty study', (s) => s.search('radiology', { studyUid: '' }, page), 'query.studyUid'],
  ['a search of a user not a string', (s) => s.search('radiology', { user: loose(1) }, page), 'query.user'],
  ['a search of an empty event code', (s) => s.search('radiology', { eventCode: '' }, page), 'query.eventCode'],
  ['a search of an unknown outcome', (s) => s.search('radiology', { outcome: loose(3) }, page), 'query.outcome'],
  ['a search from no instant', (s) => s.search('radiology', { from: 'yesterday' }, page), 'query.from'],
  ['a search to a time without a zone', (s) => s.search('radiology', { to: '2024-05-01T10:00:00' }, page), 'query.to'],
  ['a search of no query', (s) => s.search('radiology', loose(null), page), 'query'],
  ['event ids not a list', (s) => s.existingEventIds('radiology', loose('e-1')), 'eventIds'],
  ['an empty event id', (s) => s.existingEventIds('radiology', ['e-1', '']), 'eventIds[1]'],
  ['event ids of no tenant', (s) => s.existingEventIds('', ['e-1']), 'tenantId'],
  ['records not a list', (s) => s.append(loose(auditRecord(1))), 'records'],
  ['a record not an object', (s) => s.append(loose([null])), 'records[0]'],
  ['a record of no tenant', (s) => s.append([record({ tenantId: '' })]), 'records[0].tenantId'],
  ['a record of seq 0', (s) => s.append([record({ seq: 0 })]), 'records[0].seq'],
  ['a record of a fractional seq', (s) => s.append([record({ seq: 1.5 })]), 'records[0].seq'],
  ['seqs with a gap', (s) => s.append([auditRecord(1), auditRecord(3)]), 'records[1].seq'],
  ['seqs out of order', (s) => s.append([auditRecord(2), auditRecord(1)]), 'records[1].seq'],
  [
    'records of two tenants',
    (s) => s.append([auditRecord(1), auditRecord(2, { tenantId: 'cardiology' })]),
    'records[1].tenantId',
  ],
  ['a record of no event id', (s) => s.append([record({ eventId: '' })]), 'records[0].eventId'],
  ['a record not of its event', (s) => s.append([record({ eventId: 'other' })]), 'records[0].event.eventId'],
  [
    'a record of another tenant than its event',
    (s) => s.append([eventOf({ tenantId: 'x' })]),
    'records[0].event.tenantId',
  ],
  ['a record time not ISO 8601', (s) => s.append([record({ recordedAt: 'now' })]), 'records[0].recordedAt'],
  ['a hash not hex', (s) => s.append([record({ hash: 'z'.repeat(64) })]), 'records[0].hash'],
  ['a hash too short', (s) => s.append([record({ hash: 'a'.repeat(63) })]), 'records[0].hash'],
  ['a previous hash in capitals', (s) => s.append([record({ prevHash: 'A'.repeat(64) })]), 'records[0].prevHash'],
  ['no event', (s) => s.append([record({ event: undefined })]), 'records[0].event'],
  [
    'an event time not ISO 8601',
    (s) => s.append([eventOf({ occurredAt: '2024-13-01T00:00:00Z' })]),
    'records[0].event.occurredAt',
  ],
  ['an event of no code', (s) => s.append([eventOf({ event: {} })]), 'records[0].event.event.code'],
  ['an unknown outcome', (s) => s.append([eventOf({ outcome: 1 })]), 'records[0].event.outcome'],
  ['participants not a list', (s) => s.append([eventOf({ participants: {} })]), 'records[0].event.participants'],
  [
    'a participant of no user id',
    (s) => s.append([eventOf({ participants: [{ isRequestor: true }] })]),
    'records[0].event.participants[0].userId',
  ],
  ['objects not a list', (s) => s.append([eventOf({ objects: 'P1' })]), 'records[0].event.objects'],
  [
    'an object of no id type',
    (s) => s.append([eventOf({ objects: [{ typeCode: '1', id: 'P1' }] })]),
    'records[0].event.objects[0].idType',
  ],
  [
    'a bad record after good ones',
    (s) => s.append([...auditRecords('radiology', 1, 2), { ...auditRecord(3), hash: '' }]),
    'records[2].hash',
  ],
  ['a cursor of no exporter', (s) => s.exportCursor('', 'radiology'), 'exporter'],
  ['a cursor of no tenant', (s) => s.exportCursor('syslog:collector-1', ''), 'tenantId'],
  ['a cursor set of no exporter', (s) => s.setExportCursor('', 'radiology', 1), 'exporter'],
  ['a cursor set of no tenant', (s) => s.setExportCursor('syslog:collector-1', '', 1), 'tenantId'],
  ['a cursor set to seq 0', (s) => s.setExportCursor('syslog:collector-1', 'radiology', 0), 'seq'],
  ['a cursor set to a fractional seq', (s) => s.setExportCursor('syslog:collector-1', 'radiology', 2.5), 'seq'],
];

export function describeArguments(open: OpenAuditStore): void {
  const context = auditContractContext(open);

  it.each(BROKEN)('refuses %s with an Error naming it, writing nothing', async (_what, call, field) => {
    await expectArgumentError(call(context.store), field);
    expect(await context.store.tenants()).toEqual([]);
    expect(await context.store.exportCursor('syslog:collector-1', 'radiology')).toBe(0);
  });
}
