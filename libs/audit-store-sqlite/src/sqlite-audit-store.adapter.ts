import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { AuditEvent } from '@pacs/contracts';
import { immediateTransaction, openWalDatabase, prepareStatements, SqliteTransactions, WalSync } from '@pacs/sqlite-tx';
import {
  AuditChainConflictError,
  auditSearchKeysOf,
  AuditStoreUnavailableError,
  checkAuditEventIds,
  checkAuditId,
  checkAuditInteger,
  checkAuditLimit,
  checkAuditPage,
  checkAuditQuery,
  checkAuditRecords,
  invalidAuditArgument,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type ChainHead,
} from '@pacs/audit-store';
import { AUDIT_SCHEMA_VERSION, auditSchemaVersionOf, createAuditSchema } from './sqlite-audit-schema';

export interface SqliteAuditStoreOptions {
  /** The database file, e.g. `<data>/audit.sqlite` (its folder is created), or ':memory:'. */
  readonly file: string;
  /** How long a write waits for another connection's transaction, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

type Row = Record<string, SQLOutputValue>;

/** Event ids per `IN (...)` of existingEventIds. */
const IN_CHUNK = 500;

const RECORD_COLUMNS = 'tenant_id, seq, event_id, recorded_at, event, prev_hash, hash';

const STATEMENTS = {
  head: 'SELECT seq, hash FROM audit_records WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1',
  seqOfEvent: 'SELECT seq FROM audit_records WHERE tenant_id = ? AND event_id = ?',
  insertRecord: `INSERT INTO audit_records
    (tenant_id, seq, event_id, recorded_at, occurred_at, event_code, outcome, event, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertKey: 'INSERT OR IGNORE INTO audit_record_keys (tenant_id, kind, value, seq) VALUES (?, ?, ?, ?)',
  get: `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE tenant_id = ? AND seq = ?`,
  range: `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE tenant_id = ? AND seq >= ? ORDER BY seq LIMIT ?`,
  // One probe of the primary key per tenant (a skip scan), not a scan of every record.
  tenants: `WITH RECURSIVE tenant(id) AS (
      SELECT MIN(tenant_id) FROM audit_records
      UNION ALL
      SELECT (SELECT MIN(tenant_id) FROM audit_records WHERE tenant_id > tenant.id) FROM tenant WHERE tenant.id IS NOT NULL
    ) SELECT id FROM tenant WHERE id IS NOT NULL`,
  cursor: 'SELECT seq FROM audit_export_cursors WHERE exporter = ? AND tenant_id = ?',
  setCursor: `INSERT INTO audit_export_cursors (exporter, tenant_id, seq) VALUES (?, ?, ?)
    ON CONFLICT (exporter, tenant_id) DO UPDATE SET seq = max(seq, excluded.seq)`,
} as const;

type Statements = { readonly [K in keyof typeof STATEMENTS]: StatementSync };

/** The open database, for a transaction. */
interface Open {
  readonly db: DatabaseSync;
  readonly statements: Statements;
}

/** The filters of AuditQuery kept in audit_record_keys, by the kind of their rows. */
const KEY_FILTERS = [
  ['patientId', 'patient'],
  ['studyUid', 'study'],
  ['user', 'user'],
] as const;

/**
 * The embedded audit store, on one SQLite file (schema in sqlite-audit-schema.ts). An append is
 * one BEGIN IMMEDIATE transaction, which takes the file's write lock at once: the head it checks
 * cannot move before its records are in, in this process or another, so of two writers of the
 * same seq the second finds it taken; a conflict rolls the whole append back. A write resolves
 * once the WAL is synced (group commit, as the routing store).
 */
export class SqliteAuditStore implements AuditStore {
  private db: DatabaseSync | undefined;
  private statements: Statements | undefined;
  private readonly searches = new Map<string, StatementSync>();
  private readonly existing = new Map<number, StatementSync>();
  private readonly wal: WalSync;
  private readonly transactions: SqliteTransactions<Open>;

  constructor(private readonly options: SqliteAuditStoreOptions) {
    if (typeof options.file !== 'string' || options.file === '') {
      throw invalidAuditArgument('file', 'must be the path of the audit database');
    }
    if (options.busyTimeoutMs !== undefined) checkAuditInteger('busyTimeoutMs', options.busyTimeoutMs, 0);
    this.wal = new WalSync(options.file);
    this.transactions = new SqliteTransactions({ open: () => this.open(), durable: this.wal, engineError });
  }

  async isHealthy(): Promise<boolean> {
    return this.transactions.answers();
  }

  async start(): Promise<void> {
    if (this.db) return;
    try {
      const { db, setup } = openWalDatabase(this.options.file, this.options.busyTimeoutMs ?? 5000, (db) => {
        const version = auditSchemaVersionOf(db);
        if (version > AUDIT_SCHEMA_VERSION) {
          throw new Error(
            `${this.options.file} has audit schema version ${version}, this build knows up to ${AUDIT_SCHEMA_VERSION}`,
          );
        }
        immediateTransaction(db, () => createAuditSchema(db));
        return prepareStatements(db, STATEMENTS);
      });
      this.db = db;
      this.statements = setup;
    } catch (error) {
      throw engineError('start', error);
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.searches.clear();
    this.existing.clear();
    await this.wal.close();
    if (db?.isOpen) db.close();
  }

  async head(tenantId: string): Promise<ChainHead | null> {
    const tenant = checkAuditId('tenantId', tenantId);
    return this.transactions.read('head', ({ statements }) => {
      const row = statements.head.get(tenant);
      return row ? { seq: Number(row['seq']), hash: String(row['hash']) } : null;
    });
  }

  async existingEventIds(tenantId: string, eventIds: readonly string[]): Promise<Set<string>> {
    const tenant = checkAuditId('tenantId', tenantId);
    const ids = checkAuditEventIds(eventIds);
    return this.transactions.read('existingEventIds', ({ db }) => {
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const chunk = ids.slice(i, i + IN_CHUNK);
        let statement = this.existing.get(chunk.length);
        if (!statement) {
          statement = db.prepare(
            `SELECT event_id FROM audit_records WHERE tenant_id = ? AND event_id IN (${chunk.map(() => '?').join(', ')})`,
          );
          this.existing.set(chunk.length, statement);
        }
        for (const row of statement.all(tenant, ...chunk)) found.add(String(row['event_id']));
      }
      return found;
    });
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    const checked = checkAuditRecords(records);
    const first = checked[0];
    if (!first) return;
    // The search keys first: a record whose event cannot give them is refused before anything is written.
    const keys = checked.map((record) => auditSearchKeysOf(record.event));
    await this.transactions.write('append', ({ statements }) => {
      const { tenantId } = first;
      const head = Number(statements.head.get(tenantId)?.['seq'] ?? 0);
      if (first.seq <= head) throw new AuditChainConflictError(tenantId, first.seq, 'seq-taken');
      if (first.seq > head + 1) throw new AuditChainConflictError(tenantId, first.seq, 'not-next');
      checked.forEach((record, i) => {
        // Also finds a record of this append: an event id given twice.
        if (statements.seqOfEvent.get(tenantId, record.eventId)) {
          throw new AuditChainConflictError(tenantId, record.seq, 'event-exists');
        }
        const key = keys[i]!;
        statements.insertRecord.run(
          tenantId,
          record.seq,
          record.eventId,
          record.recordedAt,
          key.occurredAt,
          key.eventCode,
          key.outcome,
          JSON.stringify(record.event),
          record.prevHash,
          record.hash,
        );
        for (const [kind, values] of [
          ['patient', key.patientIds],
          ['study', key.studyUids],
          ['user', key.userIds],
        ] as const) {
          for (const value of values) statements.insertKey.run(tenantId, kind, value, record.seq);
        }
      });
    });
  }

  async range(tenantId: string, fromSeq: number, limit: number): Promise<AuditRecord[]> {
    const tenant = checkAuditId('tenantId', tenantId);
    const from = checkAuditInteger('fromSeq', fromSeq, 1);
    const count = checkAuditLimit('limit', limit);
    return this.transactions.read('range', ({ statements }) => statements.range.all(tenant, from, count).map(recordOf));
  }

  async get(tenantId: string, seq: number): Promise<AuditRecord | null> {
    const tenant = checkAuditId('tenantId', tenantId);
    const at = checkAuditInteger('seq', seq, 1);
    return this.transactions.read('get', ({ statements }) => {
      const row = statements.get.get(tenant, at);
      return row ? recordOf(row) : null;
    });
  }

  async search(tenantId: string, query: AuditQuery, page: AuditPage): Promise<AuditRecord[]> {
    const tenant = checkAuditId('tenantId', tenantId);
    const filters = checkAuditQuery(query);
    const { limit, afterSeq } = checkAuditPage(page);
    return this.transactions.read('search', ({ db }) => {
      const conditions = ['tenant_id = ?', 'seq > ?'];
      const parameters: SQLInputValue[] = [tenant, afterSeq];
      for (const [filter, kind] of KEY_FILTERS) {
        const value = filters[filter];
        if (value === undefined) continue;
        // The keys' primary key gives the matching seqs in order; each is then one probe of the record.
        conditions.push(
          `seq IN (SELECT seq FROM audit_record_keys WHERE tenant_id = ? AND kind = '${kind}' AND value = ? AND seq > ?)`,
        );
        parameters.push(tenant, value, afterSeq);
      }
      const columns = [
        ['event_code = ?', filters.eventCode],
        ['outcome = ?', filters.outcome],
        ['occurred_at >= ?', filters.from],
        ['occurred_at < ?', filters.to],
      ] as const;
      for (const [condition, value] of columns) {
        if (value === undefined) continue;
        conditions.push(condition);
        parameters.push(value);
      }
      const sql = `SELECT ${RECORD_COLUMNS} FROM audit_records WHERE ${conditions.join(' AND ')} ORDER BY seq LIMIT ?`;
      let statement = this.searches.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        this.searches.set(sql, statement);
      }
      return statement.all(...parameters, limit).map(recordOf);
    });
  }

  async tenants(): Promise<string[]> {
    return this.transactions.read('tenants', ({ statements }) =>
      statements.tenants
        .all()
        .map((row) => String(row['id']))
        .sort(),
    );
  }

  async exportCursor(exporter: string, tenantId: string): Promise<number> {
    const name = checkAuditId('exporter', exporter);
    const tenant = checkAuditId('tenantId', tenantId);
    return this.transactions.read('exportCursor', ({ statements }) =>
      Number(statements.cursor.get(name, tenant)?.['seq'] ?? 0),
    );
  }

  async setExportCursor(exporter: string, tenantId: string, seq: number): Promise<void> {
    const name = checkAuditId('exporter', exporter);
    const tenant = checkAuditId('tenantId', tenantId);
    const at = checkAuditInteger('seq', seq, 1);
    await this.transactions.write('setExportCursor', ({ statements }) => statements.setCursor.run(name, tenant, at));
  }

  private open(): Open {
    if (!this.db || !this.statements) throw new Error('SqliteAuditStore: start() first');
    return { db: this.db, statements: this.statements };
  }
}

function recordOf(row: Row): AuditRecord {
  const tenantId = String(row['tenant_id']);
  const seq = Number(row['seq']);
  let event: AuditEvent;
  try {
    event = JSON.parse(String(row['event'])) as AuditEvent;
  } catch (error) {
    // Only an edit of the file outside the store makes this: say which record, for the verifier.
    throw new Error(`audit record ${tenantId}#${seq}: its stored event is not JSON`, { cause: error });
  }
  return {
    tenantId,
    seq,
    eventId: String(row['event_id']),
    recordedAt: String(row['recorded_at']),
    event,
    prevHash: String(row['prev_hash']),
    hash: String(row['hash']),
  };
}

/**
 * What SQLite or the file system threw (a busy database, a full disk, a failed sync) as a
 * retriable AuditStoreUnavailableError; a conflict, or a bug (any other error), as it is.
 */
function engineError(operation: string, error: unknown): unknown {
  if (error instanceof AuditChainConflictError || error instanceof AuditStoreUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const fromEngine = typeof code === 'string' && (code.startsWith('ERR_SQLITE') || /^E[A-Z]+$/.test(code));
  if (!fromEngine) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new AuditStoreUnavailableError(`audit store: ${operation} failed: ${reason}`, { cause: error });
}
