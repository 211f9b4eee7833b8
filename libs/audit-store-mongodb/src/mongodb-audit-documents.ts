import type { Collection, Db } from 'mongodb';
import type { AuditEvent } from '@pacs/contracts';
import type { AuditRecord, AuditSearchKeys } from '@pacs/audit-store';

/**
 * Collection `<prefix>records`: one document per record, inserted once and never updated. The
 * unique (tenantId, seq) key makes the insert of seq n the compare-and-set of an append after
 * n - 1; the unique (tenantId, eventId) key refuses a redelivered event. `event` is the AuditEvent
 * as JSON text, returned as stored: it round-trips exactly (no undefined turned into null, no key
 * refused for a '$' or a '.'), and an edit of it is seen as made. The search keys are copied out
 * of the event (auditSearchKeysOf), with occurredAt in UTC so that instants compare as strings.
 */
export interface AuditRecordDocument extends AuditSearchKeys {
  tenantId: string;
  seq: number;
  eventId: string;
  recordedAt: string;
  event: string;
  prevHash: string;
  hash: string;
}

/**
 * Collection `<prefix>tenants`: a tenant, inserted (once) before its first record, so that
 * tenants() reads a few documents rather than every record. One without a record 1 (a crash, or
 * an engine error, between the two inserts) is left out of tenants().
 */
export interface TenantDocument {
  _id: string;
}

/**
 * Collection `<prefix>cursors`: a position an exporter reached in a tenant's chain, inserted once
 * (unique (exporter, tenantId, seq)); the cursor is the highest. Positions below it are deleted
 * after each insert, which can never delete the highest: the cursor only moves forward without a
 * read-modify-write, which FerretDB v1 does not make atomic between clients (an update is a read
 * and a write back, so a `$max` racing a lower `$max` could lose).
 */
export interface ExportCursorDocument {
  exporter: string;
  tenantId: string;
  seq: number;
}

export interface AuditCollections {
  readonly records: Collection<AuditRecordDocument>;
  readonly tenants: Collection<TenantDocument>;
  readonly cursors: Collection<ExportCursorDocument>;
}

type IndexSpec = readonly [Record<string, 1 | -1>, string, boolean?];

const INDEXES: { readonly [K in keyof AuditCollections]: readonly IndexSpec[] } = {
  records: [
    [{ tenantId: 1, seq: 1 }, 'record_seq', true],
    [{ tenantId: 1, eventId: 1 }, 'record_event', true],
    // Each has one array field (a multikey index may not have two).
    [{ tenantId: 1, patientIds: 1, seq: 1 }, 'records_by_patient'],
    [{ tenantId: 1, studyUids: 1, seq: 1 }, 'records_by_study'],
    [{ tenantId: 1, userIds: 1, seq: 1 }, 'records_by_user'],
    [{ tenantId: 1, eventCode: 1, seq: 1 }, 'records_by_event_code'],
    [{ tenantId: 1, outcome: 1, seq: 1 }, 'records_by_outcome'],
    [{ tenantId: 1, occurredAt: 1 }, 'records_by_time'],
  ],
  tenants: [],
  cursors: [[{ exporter: 1, tenantId: 1, seq: 1 }, 'cursor_position', true]],
};

/** The collections, named `<prefix><name>`, with their indexes created when missing. */
export async function auditCollections(db: Db, prefix: string): Promise<AuditCollections> {
  const collections: AuditCollections = {
    records: db.collection<AuditRecordDocument>(`${prefix}records`),
    tenants: db.collection<TenantDocument>(`${prefix}tenants`),
    cursors: db.collection<ExportCursorDocument>(`${prefix}cursors`),
  };
  // One index per call: FerretDB v1 drops the connection on a createIndexes of several indexes
  // that exist already (a restart); createIndex of an existing one does nothing.
  for (const name of Object.keys(INDEXES) as (keyof AuditCollections)[]) {
    for (const [key, indexName, unique] of INDEXES[name]) {
      await collections[name].createIndex(key, { name: indexName, ...(unique ? { unique } : {}) });
    }
  }
  return collections;
}

/** The document of a record, with its search keys. */
export function recordDocument(record: AuditRecord, keys: AuditSearchKeys): AuditRecordDocument {
  return {
    tenantId: record.tenantId,
    seq: record.seq,
    eventId: record.eventId,
    recordedAt: record.recordedAt,
    event: JSON.stringify(record.event),
    prevHash: record.prevHash,
    hash: record.hash,
    occurredAt: keys.occurredAt,
    eventCode: keys.eventCode,
    outcome: keys.outcome,
    patientIds: keys.patientIds,
    studyUids: keys.studyUids,
    userIds: keys.userIds,
  };
}

/** What the store reads of a record document. */
export const RECORD_PROJECTION = {
  _id: 0,
  tenantId: 1,
  seq: 1,
  eventId: 1,
  recordedAt: 1,
  event: 1,
  prevHash: 1,
  hash: 1,
} as const;

export type StoredRecord = Pick<
  AuditRecordDocument,
  'tenantId' | 'seq' | 'eventId' | 'recordedAt' | 'event' | 'prevHash' | 'hash'
>;

/** The record of a document read with RECORD_PROJECTION. */
export function recordOf(document: StoredRecord): AuditRecord {
  let event: AuditEvent;
  try {
    event = JSON.parse(document.event) as AuditEvent;
  } catch (error) {
    // Only an edit of the collection outside the store makes this: say which record, for the verifier.
    throw new Error(`audit record ${document.tenantId}#${document.seq}: its stored event is not JSON`, {
      cause: error,
    });
  }
  return {
    tenantId: document.tenantId,
    seq: document.seq,
    eventId: document.eventId,
    recordedAt: document.recordedAt,
    event,
    prevHash: document.prevHash,
    hash: document.hash,
  };
}
