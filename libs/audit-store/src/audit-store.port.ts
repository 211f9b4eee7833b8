import type { AuditEvent } from '@pacs/contracts';

/** Nest token of the audit store (bound by the platform for the apps that keep the audit trail). */
export const AUDIT_STORE = Symbol('AUDIT_STORE');

/**
 * One record of a tenant's audit trail: the audit event as received, its place in the tenant's
 * chain (seq 1, 2, 3, ... without gaps) and the SHA-256 chain link. `hash` is computed by the
 * audit service over the record's content and `prevHash` (the previous record's hash, 64 zeros for
 * the first); the store keeps both as given and never recomputes them.
 */
export interface AuditRecord {
  readonly tenantId: string;
  readonly seq: number;
  /** The audit event's eventId: unique within a tenant (redelivered events are not appended twice). */
  readonly eventId: string;
  /** When the audit service appended the record, ISO 8601 UTC. */
  readonly recordedAt: string;
  readonly event: AuditEvent;
  /** Hex SHA-256 of the previous record of the tenant; 64 zeros for seq 1. */
  readonly prevHash: string;
  /** Hex SHA-256 of this record (see libs/audit chain.ts). */
  readonly hash: string;
}

/** The last record of a tenant's chain. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Search of a tenant's records (every field optional, all given ones must match). Times compare
 * the event's occurredAt as instants (whatever their offsets); `user` matches any participant's
 * userId exactly; `patientId` and `studyUid` match the id of a participant object whose
 * idType.code is that type's (`2` RFC-3881 Patient Number, `110180` Study Instance UID).
 */
export interface AuditQuery {
  readonly patientId?: string;
  readonly studyUid?: string;
  /** A participant's userId: a user name, an AE title, an address. */
  readonly user?: string;
  /** EventID code, e.g. `110112` (Query). */
  readonly eventCode?: string;
  readonly outcome?: 0 | 4 | 8 | 12;
  /** occurredAt >= from (ISO 8601). */
  readonly from?: string;
  /** occurredAt < to (ISO 8601). */
  readonly to?: string;
}

/** A page of a search: records in chain order (ascending seq), after `afterSeq` when given. */
export interface AuditPage {
  /** 1 to 1000. */
  readonly limit: number;
  /** Only records with seq > afterSeq (keyset paging). */
  readonly afterSeq?: number;
}

/**
 * The audit trail's storage: append-only, per tenant. There is no update and no delete in this
 * port; the only writes are `append` and the export cursors.
 */
export interface AuditStore {
  /** Connects to the engine and creates what is missing of the schema (collections, indexes). */
  start(): Promise<void>;
  /** Releases the connection; the store can be started again. */
  close(): Promise<void>;

  /** Whether the engine answers now (readiness); never throws. */
  isHealthy(): Promise<boolean>;

  /** The tenant's last record, or null when its chain is empty. */
  head(tenantId: string): Promise<ChainHead | null>;

  /** Which of these event ids the tenant's chain already holds. */
  existingEventIds(tenantId: string, eventIds: readonly string[]): Promise<Set<string>>;

  /**
   * Appends records of one tenant, in order, atomically where the engine allows. The first record's
   * seq must be head.seq + 1 and each next one +1. A conflict fails with AuditChainConflictError
   * naming the record: `seq-taken` (its seq is in the chain: another writer got there first),
   * `not-next` (its seq is beyond head.seq + 1), `event-exists` (its eventId is in the chain, or
   * earlier in the same call: a redelivery). Nothing of that record onward is appended; SQLite
   * appends nothing at all (one transaction), MongoDB keeps the records before it (no multi-document
   * transactions). Either way the chain has no gap; the caller re-reads the head. An empty list
   * appends nothing. Arguments the store cannot take (audit-store-arguments.ts) throw a plain Error.
   */
  append(records: readonly AuditRecord[]): Promise<void>;

  /** Records of the tenant with seq >= fromSeq, ascending, at most `limit` (verify, export). */
  range(tenantId: string, fromSeq: number, limit: number): Promise<AuditRecord[]>;

  /** The record of the tenant with this seq, or null. */
  get(tenantId: string, seq: number): Promise<AuditRecord | null>;

  /** A page of the tenant's records matching the query, ascending seq. */
  search(tenantId: string, query: AuditQuery, page: AuditPage): Promise<AuditRecord[]>;

  /** The tenants that have at least one record, sorted (as Array.prototype.sort does). */
  tenants(): Promise<string[]>;

  /** How far an exporter (e.g. `syslog:collector-1`) has delivered a tenant's chain: the last seq, 0 if nothing. */
  exportCursor(exporter: string, tenantId: string): Promise<number>;

  /** Moves an exporter's cursor forward (never backward: a lower seq is ignored). */
  setExportCursor(exporter: string, tenantId: string, seq: number): Promise<void>;
}
