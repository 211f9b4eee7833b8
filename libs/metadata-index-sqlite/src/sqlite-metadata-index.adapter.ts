import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  checkIndexedInstance,
  checkIndexedInstances,
  checkLimit,
  checkListScope,
  checkSearchScope,
  collectPage,
  instanceRecord,
  instantOf,
  MetadataIndexError,
  searchNarrowing,
  seriesRecord,
  withExtraAttributes,
  type ExtraAttributeRequest,
  type ExtraAttributes,
  type IndexedInstance,
  type MetadataIndex,
  type QueryKey,
  type QuietStudy,
  type ReindexCopy,
  type ReindexedCopy,
  type ReindexJob,
  type ReindexProgress,
  type SearchLevel,
  type SearchOptions,
  type SearchPage,
  type SearchResult,
  type SearchScope,
  type StoredInstance,
  type UpsertOutcome,
} from '@pacs/metadata-index';
import { immediateTransaction, openWalDatabase, SqliteTransactions, WalSync } from '@pacs/sqlite-tx';
import { parse, prepareStatements, rebuildDerivedTables, type Row, type Statements } from './sqlite-derived-rows';
import { SqliteExtraAttributes } from './sqlite-extra-attributes';
import { createSchema, SCHEMA_VERSION, schemaVersionOf } from './sqlite-schema';
import { listSql, searchSql } from './sqlite-search-sql';
import { writeCopy } from './sqlite-upsert';

export interface SqliteMetadataIndexOptions {
  /** The database file (its folder is created), or ':memory:'. */
  readonly file: string;
  /** Results of one search at most, whatever `limit` asks (default 1000). */
  readonly maxResults?: number;
  /** Copies read from the file at once by a listing (default 256). */
  readonly listBatchSize?: number;
}

type ListScope = SearchScope & { readonly studyInstanceUid: string };

/** The open database, for a transaction. */
interface Open {
  readonly db: DatabaseSync;
  readonly statements: Statements;
  readonly extras: SqliteExtraAttributes;
}

/**
 * The embedded metadata index, on SQLite (schema in sqlite-schema.ts): every copy of an instance,
 * the current one flagged; per series and per study their attributes, counts and the fields that
 * searches narrow on first, each indexed per tenant; per study the tokens of its PatientName. A
 * search narrows in SQL (searchSql), then checks every key with matchAttribute, the reference
 * semantics. Every upsert, or batch of them, is one transaction, so the series and study rows
 * are kept up to date incrementally (sqlite-upsert.ts). A tenant's extra attributes are stored per
 * copy and generation (sqlite-extra-attributes.ts) and added to the records as they are read: the
 * study's and series' from the copy they take their attributes from; searches do not narrow on
 * them in SQL.
 */
export class SqliteMetadataIndex implements MetadataIndex {
  private db: DatabaseSync | undefined;
  private statements: Statements | undefined;
  private extras: SqliteExtraAttributes | undefined;
  private readonly prepared = new Map<string, StatementSync>();
  private readonly maxResults: number;
  private readonly listBatchSize: number;
  private readonly wal: WalSync;
  /**
   * Writes resolve once the WAL is synced, also when nothing changed: a redelivery after a crash
   * may find its first delivery committed but not synced yet. Their errors are thrown as they are.
   */
  private readonly transactions: SqliteTransactions<Open>;

  constructor(private readonly options: SqliteMetadataIndexOptions) {
    this.maxResults = options.maxResults ?? 1000;
    this.listBatchSize = options.listBatchSize ?? 256;
    checkLimit('maxResults', this.maxResults);
    checkLimit('listBatchSize', this.listBatchSize);
    this.wal = new WalSync(options.file);
    this.transactions = new SqliteTransactions({ open: () => this.open(), durable: this.wal });
  }

  async start(): Promise<void> {
    if (this.db) return;
    // An upsert (or a batch) resolves after a sync of the WAL shared by the upserts committed
    // meanwhile (WalSync). It must be durable before the indexer commits its event offset, or a
    // power loss could lose it for good.
    const { db, setup } = openWalDatabase(this.options.file, 2000, (db) => {
      const version = schemaVersionOf(db);
      if (version > SCHEMA_VERSION) {
        throw new MetadataIndexError(
          'SCHEMA_TOO_NEW',
          `${this.options.file} has schema version ${version}, this build knows up to ${SCHEMA_VERSION}`,
          false,
        );
      }
      const statements = immediateTransaction(db, () => {
        const rebuild = createSchema(db);
        const prepared = prepareStatements(db);
        if (rebuild) rebuildDerivedTables(db, prepared);
        return prepared;
      });
      return { statements, extras: new SqliteExtraAttributes(db) };
    });
    this.statements = setup.statements;
    this.extras = setup.extras;
    this.db = db;
  }

  async upsertInstance(instance: IndexedInstance): Promise<UpsertOutcome> {
    const indexedAt = checkIndexedInstance(instance);
    return this.transactions.write('upsertInstance', ({ statements, extras }) =>
      writeCopy(statements, extras, instance, indexedAt),
    );
  }

  /** One transaction and one sync of the WAL for the whole batch, rolled back whole on any error. */
  async upsertInstances(instances: readonly IndexedInstance[]): Promise<UpsertOutcome[]> {
    const checked = checkIndexedInstances(instances);
    if (checked.length === 0) return [];
    return this.transactions.write('upsertInstances', ({ statements, extras }) =>
      checked.map(({ instance, indexedAt }) => writeCopy(statements, extras, instance, indexedAt)),
    );
  }

  searchStudies(
    tenantId: string,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    return this.search(tenantId, 'study', {}, keys, page, options);
  }

  async search(
    tenantId: string,
    level: SearchLevel,
    scope: SearchScope,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    checkSearchScope(level, scope);
    const { extras } = this.open();
    const { attributes: extraAttributes } = extras.currentList(tenantId);
    // The extra attributes of the copy a row names (none to add when the tenant lists none).
    const extrasOf = (row: Row, sop: string, version: string) =>
      extraAttributes.length === 0 ? undefined : extras.extrasOfCopy(tenantId, row[sop], row[version]);
    const { sql, parameters } = searchSql(tenantId, level, scope, searchNarrowing(level, keys, options));
    const statement = this.prepare(sql);
    const records = (function* () {
      // Consecutive rows share their study and series: each is parsed once.
      let study = { json: '', record: {} as DicomJsonDataset };
      let series = { json: '', count: 0, record: {} as DicomJsonDataset };
      for (const row of statement.iterate(...parameters)) {
        const newStudy = row['study'] !== study.json;
        if (newStudy) {
          const record = parse(row['study']);
          const source = extrasOf(row, 'study_sop', 'study_version');
          study = { json: String(row['study']), record: withExtraAttributes(record, 'study', source, extraAttributes) };
        }
        if (level === 'study') {
          yield study.record;
          continue;
        }
        const count = Number(row['series_instances']);
        if (newStudy || row['series'] !== series.json || count !== series.count) {
          const source = extrasOf(row, 'series_sop', 'series_version');
          const attributes = withExtraAttributes(parse(row['series']), 'series', source, extraAttributes);
          series = { json: String(row['series']), count, record: seriesRecord(study.record, attributes, count) };
        }
        if (level === 'series') {
          yield series.record;
          continue;
        }
        const source = extrasOf(row, 'sop', 'version');
        const attributes = withExtraAttributes(parse(row['instance']), 'instance', source, extraAttributes);
        yield instanceRecord(series.record, attributes);
      }
    })();
    return collectPage(records, keys, page, options, this.maxResults);
  }

  async *listInstances(tenantId: string, scope: ListScope): AsyncIterable<StoredInstance> {
    for await (const row of this.listRows(tenantId, scope, false)) yield storedInstanceOf(row);
  }

  async *listMetadata(
    tenantId: string,
    scope: ListScope,
  ): AsyncIterable<{ readonly instance: StoredInstance; readonly metadata: DicomJsonDataset }> {
    for await (const row of this.listRows(tenantId, scope, true)) {
      const instance = storedInstanceOf(row);
      yield { instance, metadata: row['metadata'] === null ? instance.attributes : parse(row['metadata']) };
    }
  }

  async findQuietStudies(quietSince: string, limit: number): Promise<readonly QuietStudy[]> {
    const since = instantOf('quietSince', quietSince);
    checkLimit('limit', limit);
    return this.open()
      .statements.quietStudies.all(since, limit)
      .map((row) => ({
        tenantId: String(row['tenant']),
        studyInstanceUid: String(row['study_uid']),
        seriesCount: Number(row['series_count']),
        instanceCount: Number(row['instance_count']),
        lastActivityAt: String(row['pending_since']),
      }));
  }

  async markStudyStable(tenantId: string, studyInstanceUid: string, lastActivityAt: string): Promise<boolean> {
    const activity = instantOf('lastActivityAt', lastActivityAt);
    const { statements } = this.open();
    // Compare-and-set: only while the activity is the one announced and nobody marked it yet.
    const marked = Number(statements.markStable.run(tenantId, studyInstanceUid, activity).changes) === 1;
    if (marked) await this.wal.sync();
    return marked;
  }

  async getExtraAttributes(tenantId: string): Promise<ExtraAttributes> {
    return this.open().extras.extrasOf(tenantId);
  }

  async setExtraAttributes(
    tenantId: string,
    attributes: readonly ExtraAttributeRequest[],
  ): Promise<{ readonly extras: ExtraAttributes; readonly job: ReindexJob }> {
    const set = this.open().extras.setList(tenantId, attributes);
    await this.wal.sync();
    return set;
  }

  async getReindexJob(tenantId: string, jobId: string): Promise<ReindexJob | undefined> {
    return this.open().extras.job(tenantId, jobId);
  }

  async findUnfinishedReindexJobs(limit: number): Promise<readonly ReindexJob[]> {
    checkLimit('limit', limit);
    return this.open().extras.unfinishedJobs(limit);
  }

  async listReindexCopies(tenantId: string, after: string | undefined, limit: number): Promise<readonly ReindexCopy[]> {
    checkLimit('limit', limit);
    return this.open()
      .extras.copies(tenantId, after, limit)
      .map((row) => ({
        instance: storedInstanceOf(row),
        ...(row['metadata'] !== null ? { metadata: parse(row['metadata']) } : {}),
      }));
  }

  async applyExtraAttributes(tenantId: string, generation: number, copies: readonly ReindexedCopy[]): Promise<void> {
    this.open().extras.apply(tenantId, generation, copies);
    await this.wal.sync();
  }

  async recordReindexProgress(tenantId: string, jobId: string, progress: ReindexProgress): Promise<boolean> {
    const recorded = this.open().extras.recordProgress(tenantId, jobId, progress);
    if (recorded) await this.wal.sync();
    return recorded;
  }

  async isHealthy(): Promise<boolean> {
    return this.transactions.answers();
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.extras = undefined;
    this.prepared.clear();
    await this.wal.close();
    if (db?.isOpen) db.close();
  }

  /** The current copies in the scope in listing order, read in batches after the last one read. */
  private async *listRows(tenantId: string, scope: ListScope, withMetadata: boolean): AsyncGenerator<Row> {
    checkListScope(scope);
    // Batches (keyset pages), not one statement held open while the consumer awaits: upserts on
    // this connection meanwhile would be seen half-way, and the WAL could not be checkpointed.
    let last: Row | undefined;
    for (;;) {
      const { sql, parameters } = listSql(tenantId, scope, { withMetadata, limit: this.listBatchSize, after: last });
      const rows = this.prepare(sql).all(...parameters);
      for (const row of rows) yield row;
      if (rows.length < this.listBatchSize) return;
      last = rows[rows.length - 1];
    }
  }

  private prepare(sql: string): StatementSync {
    let statement = this.prepared.get(sql);
    if (!statement) {
      // Searches differ by their conditions (lists of values): the cache is bounded.
      if (this.prepared.size >= 200) this.prepared.clear();
      statement = this.open().db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  private open(): Open {
    if (!this.db || !this.statements || !this.extras) throw new Error('SqliteMetadataIndex: start() first');
    return { db: this.db, statements: this.statements, extras: this.extras };
  }
}

function storedInstanceOf(row: Row): StoredInstance {
  return {
    studyInstanceUid: String(row['study_uid']),
    seriesInstanceUid: String(row['series_uid']),
    sopInstanceUid: String(row['sop_uid']),
    sopClassUid: String(row['sop_class_uid']),
    transferSyntaxUid: String(row['transfer_syntax_uid']),
    version: Number(row['version']),
    blob: {
      key: String(row['blob_key']),
      size: Number(row['blob_size']),
      sha256: String(row['blob_sha256']),
      tier: String(row['blob_tier']),
    },
    attributes: parse(row['attributes']),
  };
}
