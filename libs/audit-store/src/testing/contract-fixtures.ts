import { createHash, randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { AuditChainConflictError, AuditStoreUnavailableError } from '../audit-store.errors';
import type { AuditRecord } from '../audit-store.port';

type AuditObject = AuditEvent['objects'][number];
type AuditParticipant = AuditEvent['participants'][number];

/** The time the contract's clock starts at; `at(s)` is s seconds later. */
export const T0 = '2024-05-01T10:00:00.000Z';

export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

/** The prevHash of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash the fixtures give record `seq` of a tenant: any 64 hex digits do (the store never
 * computes one), these link each fixture record to the one before it.
 */
export function fixtureHash(tenantId: string, seq: number): string {
  return createHash('sha256').update(`${tenantId}#${seq}`).digest('hex');
}

/** A participant object of type Patient Number (RFC-3881 code 2). */
export function patientObject(id: string, name = `Name^${id}`): AuditObject {
  return {
    typeCode: '1',
    role: { code: '1', codingScheme: 'RFC-3881', meaning: 'Patient' },
    idType: { code: '2', codingScheme: 'RFC-3881', meaning: 'Patient Number' },
    id,
    name,
  };
}

/** A participant object of type Study Instance UID (DCM 110180). */
export function studyObject(uid: string, details?: Record<string, string>): AuditObject {
  return {
    typeCode: '2',
    role: { code: '3', codingScheme: 'RFC-3881', meaning: 'Report' },
    idType: { code: '110180', codingScheme: 'DCM', meaning: 'Study Instance UID' },
    id: uid,
    ...(details ? { details } : {}),
  };
}

/** An active participant: a user, an AE title, an address. */
export function participant(userId: string, isRequestor = false): AuditParticipant {
  return {
    userId,
    isRequestor,
    roles: [
      isRequestor
        ? { code: '110153', codingScheme: 'DCM', meaning: 'Source Role ID' }
        : { code: '110152', codingScheme: 'DCM', meaning: 'Destination Role ID' },
    ],
    networkAccessPoint: isRequestor ? '10.0.0.7' : '10.0.0.1',
  };
}

/**
 * A valid AuditEventV1 of tenant radiology: a query (110112) by alice of patient P1's study
 * 1.2.840.1 at T0, a success, with a new eventId, unless overridden.
 */
export function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: 'radiology',
    occurredAt: T0,
    correlationId: 'correlation-1',
    causationId: null,
    event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
    action: 'E',
    outcome: 0,
    source: 'query',
    participants: [participant('alice', true), participant('ARCHIVE')],
    objects: [patientObject('P1'), studyObject('1.2.840.1')],
    ...overrides,
  };
}

/**
 * Record `seq` of the event's tenant (radiology unless `event.tenantId` says otherwise), recorded
 * `seq` seconds after T0, its hashes linking it to the fixture record before it.
 */
export function auditRecord(seq: number, event: Partial<AuditEvent> = {}): AuditRecord {
  const full = auditEvent(event);
  return {
    tenantId: full.tenantId,
    seq,
    eventId: full.eventId,
    recordedAt: at(seq),
    event: full,
    prevHash: seq === 1 ? GENESIS_HASH : fixtureHash(full.tenantId, seq - 1),
    hash: fixtureHash(full.tenantId, seq),
  };
}

/** Records firstSeq, firstSeq + 1, ... of a tenant, one per event. */
export function auditRecords(
  tenantId: string,
  firstSeq: number,
  events: readonly Partial<AuditEvent>[] | number,
): AuditRecord[] {
  const list = typeof events === 'number' ? Array.from({ length: events }, () => ({})) : events;
  return list.map((event, i) => auditRecord(firstSeq + i, { ...event, tenantId }));
}

/** Expects an AuditChainConflictError of the record `seq` of the tenant, for one of `reasons`. */
export async function expectConflict(
  promise: Promise<unknown>,
  tenantId: string,
  seq: number,
  ...reasons: AuditChainConflictError['reason'][]
): Promise<AuditChainConflictError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(caught instanceof AuditChainConflictError)) {
    throw new Error(`expected an AuditChainConflictError (${reasons.join(' or ')}), got ${String(caught)}`);
  }
  expect({ tenantId: caught.tenantId, seq: caught.seq }).toEqual({ tenantId, seq });
  expect(reasons).toContain(caught.reason);
  return caught;
}

/** Expects the plain Error of a bad argument, naming `field`. */
export async function expectArgumentError(promise: Promise<unknown>, field: string): Promise<void> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(caught instanceof Error)) throw new Error(`expected an Error naming ${field}, got ${String(caught)}`);
  expect(caught).not.toBeInstanceOf(AuditChainConflictError);
  expect(caught).not.toBeInstanceOf(AuditStoreUnavailableError);
  expect(caught.message.slice(0, field.length + 2)).toBe(`${field}: `);
}
