import type { DatabaseSync } from 'node:sqlite';

/** The schema version this build writes (PRAGMA user_version of the audit file); 1 is the first. */
export const AUDIT_SCHEMA_VERSION = 1;

/**
 * The tables of the audit file (a file of its own, e.g. `<data>/audit.sqlite`). Tests that tamper
 * with the trail edit them directly (the store hides nothing: verifying the chain is the audit
 * service's work):
 * - audit_records: one row per record, keyed (tenant_id, seq), event_id unique per tenant. `event`
 *   is the AuditEvent as JSON text, returned as stored; prev_hash and hash as given. occurred_at
 *   (event.occurredAt in UTC, toISOString), event_code and outcome are copied out for search.
 * - audit_record_keys: what a record is searched by that it may hold several of: kind `patient`
 *   (objects of id type Patient Number), `study` (Study Instance UID), `user` (participants'
 *   userId), one row per (kind, value) of a record.
 * - audit_export_cursors: per exporter and tenant, the last seq delivered.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_records (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    event_code TEXT NOT NULL,
    outcome INTEGER NOT NULL,
    event TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, event_id)
  );
  CREATE INDEX IF NOT EXISTS audit_records_by_event_code ON audit_records (tenant_id, event_code, seq);
  CREATE INDEX IF NOT EXISTS audit_records_by_outcome ON audit_records (tenant_id, outcome, seq);
  CREATE INDEX IF NOT EXISTS audit_records_by_time ON audit_records (tenant_id, occurred_at);
  CREATE TABLE IF NOT EXISTS audit_record_keys (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('patient', 'study', 'user')),
    value TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, seq)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS audit_export_cursors (
    exporter TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (exporter, tenant_id)
  ) WITHOUT ROWID;
`;

/** The schema version of the file (0 for a new one). */
export function auditSchemaVersionOf(db: DatabaseSync): number {
  return Number(db.prepare('PRAGMA user_version').get()!['user_version']);
}

/** Creates what is missing of the schema, in the open transaction. */
export function createAuditSchema(db: DatabaseSync): void {
  db.exec(SCHEMA);
  db.exec(`PRAGMA user_version = ${AUDIT_SCHEMA_VERSION}`);
}
