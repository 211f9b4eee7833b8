import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { DicomJsonDataset } from '@pacs/dicom';
import { GroupSync } from '@pacs/event-bus';
import {
  collectPage,
  modalityOf,
  studyNarrowing,
  studySearchFields,
  studyRecord,
  type IndexedInstance,
  type MetadataIndex,
  type QueryKey,
  type SearchOptions,
  type SearchPage,
  type SearchResult,
  type StudySearchField,
  type UpsertOutcome,
} from '@pacs/metadata-index';

export interface SqliteMetadataIndexOptions {
  /** The database file (its folder is created), or ':memory:'. */
  readonly file: string;
  /** Results of one search at most, whatever `limit` asks (default 1000). */
  readonly maxResults?: number;
}

/**
 * The embedded metadata index, on SQLite: one row per stored copy of an instance, and one row
 * per study with its search record (studyRecord) and the columns that searches narrow on first
 * (StudyInstanceUID, PatientID, AccessionNumber, StudyDate), each indexed per tenant. A search
 * narrows in SQL on those, then checks every key with matchAttribute, the reference semantics.
 */
export class SqliteMetadataIndex implements MetadataIndex {
  private db: DatabaseSync | undefined;
  private statements:
    | {
        readonly insertInstance: StatementSync;
        readonly aggregates: StatementSync;
        readonly upsertStudy: StatementSync;
      }
    | undefined;
  private readonly maxResults: number;
  private wal: Promise<FileHandle> | undefined;
  private readonly walSync = new GroupSync(async () => {
    if (this.options.file === ':memory:') return;
    this.wal ??= openFile(`${this.options.file}-wal`, 'r');
    await (await this.wal).datasync();
  });

  constructor(private readonly options: SqliteMetadataIndexOptions) {
    this.maxResults = options.maxResults ?? 1000;
  }

  async start(): Promise<void> {
    if (this.db) return;
    if (this.options.file !== ':memory:') mkdirSync(dirname(this.options.file), { recursive: true });
    const db = new DatabaseSync(this.options.file, { timeout: 2000 });
    db.exec('PRAGMA journal_mode = WAL');
    // Commits do not sync on this thread (NORMAL); upsertInstance resolves after an fdatasync of
    // the WAL on the thread pool, shared by the upserts committed meanwhile (group commit). It must
    // be durable before the indexer commits its event offset, or a power loss could lose it for good.
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS instances (
        tenant TEXT NOT NULL,
        study_uid TEXT NOT NULL,
        series_uid TEXT NOT NULL,
        sop_uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        sop_class_uid TEXT NOT NULL,
        transfer_syntax_uid TEXT NOT NULL,
        modality TEXT,
        blob_key TEXT NOT NULL,
        blob_size INTEGER NOT NULL,
        blob_sha256 TEXT NOT NULL,
        blob_tier TEXT NOT NULL,
        attributes TEXT NOT NULL,
        PRIMARY KEY (tenant, sop_uid, version)
      );
      CREATE INDEX IF NOT EXISTS instances_of_study ON instances (tenant, study_uid, series_uid);
      CREATE TABLE IF NOT EXISTS studies (
        tenant TEXT NOT NULL,
        study_uid TEXT NOT NULL,
        patient_id TEXT,
        accession_number TEXT,
        study_date TEXT,
        record TEXT NOT NULL,
        PRIMARY KEY (tenant, study_uid)
      );
      CREATE INDEX IF NOT EXISTS studies_by_patient_id ON studies (tenant, patient_id);
      CREATE INDEX IF NOT EXISTS studies_by_accession ON studies (tenant, accession_number);
      CREATE INDEX IF NOT EXISTS studies_by_date ON studies (tenant, study_date);
    `);
    this.statements = {
      insertInstance: db.prepare(`
        INSERT OR IGNORE INTO instances (tenant, study_uid, series_uid, sop_uid, version, sop_class_uid,
          transfer_syntax_uid, modality, blob_key, blob_size, blob_sha256, blob_tier, attributes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      aggregates: db.prepare(`
        SELECT COUNT(DISTINCT series_uid) AS series, COUNT(DISTINCT sop_uid) AS instances,
          json_group_array(DISTINCT modality) AS modalities, json_group_array(DISTINCT sop_class_uid) AS classes
        FROM instances WHERE tenant = ? AND study_uid = ?`),
      upsertStudy: db.prepare(`
        INSERT INTO studies (tenant, study_uid, patient_id, accession_number, study_date, record)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, study_uid) DO UPDATE SET patient_id = excluded.patient_id,
          accession_number = excluded.accession_number, study_date = excluded.study_date, record = excluded.record`),
    };
    this.db = db;
  }

  async upsertInstance(instance: IndexedInstance): Promise<UpsertOutcome> {
    const { db, statements } = this.open();
    const attributes = instance.attributes;
    db.exec('BEGIN IMMEDIATE');
    try {
      const inserted = statements.insertInstance.run(
        instance.tenantId,
        instance.studyInstanceUid,
        instance.seriesInstanceUid,
        instance.sopInstanceUid,
        instance.version,
        instance.sopClassUid,
        instance.transferSyntaxUid,
        modalityOf(attributes),
        instance.blob.key,
        instance.blob.size,
        instance.blob.sha256,
        instance.blob.tier,
        JSON.stringify(attributes),
      );
      if (Number(inserted.changes) === 0) {
        db.exec('COMMIT');
        // A redelivery after a crash: what the first delivery committed may not be synced yet.
        await this.walSync.sync();
        return 'unchanged';
      }
      const counts = statements.aggregates.get(instance.tenantId, instance.studyInstanceUid)!;
      const record = studyRecord(attributes, {
        seriesCount: Number(counts['series']),
        instanceCount: Number(counts['instances']),
        modalities: (JSON.parse(String(counts['modalities'])) as (string | null)[]).filter((m): m is string => !!m),
        sopClassUids: JSON.parse(String(counts['classes'])) as string[],
      });
      const fields = studySearchFields(instance.studyInstanceUid, record);
      statements.upsertStudy.run(
        instance.tenantId,
        fields.studyInstanceUid,
        fields.patientId,
        fields.accessionNumber,
        fields.studyDate,
        JSON.stringify(record),
      );
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
    await this.walSync.sync();
    return 'created';
  }

  async searchStudies(
    tenantId: string,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    const { db } = this.open();
    const where = ['tenant = ?'];
    const parameters: (string | number)[] = [tenantId];
    for (const condition of studyNarrowing(keys)) {
      const column = COLUMN_OF_FIELD[condition.field];
      if (condition.kind === 'equals') {
        where.push(`${column} = ?`);
        parameters.push(condition.value);
      } else if (condition.kind === 'in') {
        where.push(`${column} IN (${condition.values.map(() => '?').join(', ')})`);
        parameters.push(...condition.values);
      } else {
        if (condition.from !== undefined) {
          where.push(`${column} >= ?`);
          parameters.push(condition.from);
        }
        if (condition.to !== undefined) {
          where.push(`${column} <= ?`);
          parameters.push(condition.to);
        }
      }
    }
    const statement = db.prepare(`SELECT record FROM studies WHERE ${where.join(' AND ')} ORDER BY study_uid`);
    const records = (function* () {
      for (const row of statement.iterate(...parameters)) yield JSON.parse(String(row['record'])) as DicomJsonDataset;
    })();
    return collectPage(records, keys, page, options, this.maxResults);
  }

  async isHealthy(): Promise<boolean> {
    try {
      this.open().db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    const wal = this.wal;
    this.wal = undefined;
    await wal?.then((handle) => handle.close()).catch(() => undefined);
    if (db?.isOpen) db.close();
  }

  private open() {
    if (!this.db || !this.statements) throw new Error('SqliteMetadataIndex: start() first');
    return { db: this.db, statements: this.statements };
  }
}

/** The column of each searched study field. */
const COLUMN_OF_FIELD: Readonly<Record<StudySearchField, string>> = {
  studyInstanceUid: 'study_uid',
  patientId: 'patient_id',
  accessionNumber: 'accession_number',
  studyDate: 'study_date',
};
