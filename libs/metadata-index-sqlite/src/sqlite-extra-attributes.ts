import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  checkExtraAttributes,
  checkReindexProgress,
  extraAttributesOf,
  extrasOfNewCopy,
  NO_EXTRA_LIST,
  noExtraListGeneration,
  noReindexJob,
  pickExtraAttributes,
  reindexJobOf,
  type ExtraAttribute,
  type ExtraAttributeRequest,
  type ExtraAttributes,
  type IndexedInstance,
  type ReindexError,
  type ReindexJob,
  type ReindexProgress,
  type ReindexedCopy,
  type StoredExtraList,
} from '@pacs/metadata-index';
import { parse, type Row } from './sqlite-derived-rows';

// The tenants' extra attributes on SQLite (tables in sqlite-schema.ts): the lists, which record
// their jobs too; the extras of each copy per generation; the progress of the jobs.

const STATEMENTS = {
  currentList: `
    SELECT generation, attributes, job_id FROM extra_attribute_lists WHERE tenant = ?
    ORDER BY generation DESC LIMIT 1`,
  listOfGeneration: 'SELECT attributes FROM extra_attribute_lists WHERE tenant = ? AND generation = ?',
  insertList: `
    INSERT INTO extra_attribute_lists (tenant, generation, attributes, job_id, created_at, total)
    VALUES (?, ?, ?, ?, ?, ?)`,
  countCurrent: 'SELECT COUNT(*) AS copies FROM instances WHERE tenant = ? AND current = 1',
  insertExtras:
    'INSERT OR IGNORE INTO instance_extras (tenant, sop_uid, version, generation, extras) VALUES (?, ?, ?, ?, ?)',
  extrasOf: `
    SELECT extras FROM instance_extras WHERE tenant = ? AND sop_uid = ? AND version = ?
    ORDER BY generation DESC LIMIT 1`,
  dropOlderExtras: 'DELETE FROM instance_extras WHERE tenant = ? AND generation < ?',
  job: 'SELECT tenant, generation, job_id, created_at, total FROM extra_attribute_lists WHERE job_id = ?',
  lastProgress: 'SELECT * FROM reindex_progress WHERE job_id = ? ORDER BY batch DESC LIMIT 1',
  insertProgress: `
    INSERT OR IGNORE INTO reindex_progress (job_id, batch, cursor, done, total, error_count, errors, finished,
      recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // The latest list of each tenant whose job has no finished batch, oldest first.
  unfinished: `
    SELECT tenant, generation, job_id, created_at, total FROM extra_attribute_lists l
    WHERE generation = (SELECT MAX(generation) FROM extra_attribute_lists m WHERE m.tenant = l.tenant)
      AND NOT EXISTS (SELECT 1 FROM reindex_progress p WHERE p.job_id = l.job_id AND p.finished = 1)
    ORDER BY created_at, rowid LIMIT ?`,
  copies: `
    SELECT i.study_uid, i.series_uid, i.sop_uid, i.sop_class_uid, i.transfer_syntax_uid, i.version, i.blob_key,
      i.blob_size, i.blob_sha256, i.blob_tier, i.attributes, m.metadata
    FROM instances i LEFT JOIN instance_metadata m ON m.tenant = i.tenant AND m.sop_uid = i.sop_uid
      AND m.version = i.version
    WHERE i.tenant = ? AND i.current = 1 AND i.sop_uid > ? ORDER BY i.sop_uid LIMIT ?`,
} as const;

type ExtraStatements = { readonly [name in keyof typeof STATEMENTS]: StatementSync };

/** The statements of the extra attributes on one database, and what they read and write. */
export class SqliteExtraAttributes {
  private readonly statements: ExtraStatements;

  constructor(private readonly db: DatabaseSync) {
    this.statements = Object.fromEntries(
      Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as ExtraStatements;
  }

  /** The tenant's current list (generation 0, none, before any). */
  currentList(tenantId: string): StoredExtraList {
    const row = this.statements.currentList.get(tenantId);
    if (!row) return NO_EXTRA_LIST;
    return {
      generation: Number(row['generation']),
      attributes: JSON.parse(String(row['attributes'])) as ExtraAttribute[],
      jobId: String(row['job_id']),
    };
  }

  extrasOf(tenantId: string): ExtraAttributes {
    return extraAttributesOf(this.currentList(tenantId));
  }

  /**
   * In the open transaction of an upsert: the copy's extras picked with the tenant's current list
   * (from its metadata, else its index attributes); nothing when the list is empty.
   */
  storeExtrasOfNewCopy(instance: IndexedInstance): void {
    const list = this.currentList(instance.tenantId);
    const extras = extrasOfNewCopy(instance, list);
    if (extras === undefined) return;
    this.statements.insertExtras.run(
      instance.tenantId,
      instance.sopInstanceUid,
      instance.version,
      list.generation,
      JSON.stringify(extras),
    );
  }

  /** The extras of a copy, of its highest generation; undefined when it has none. */
  extrasOfCopy(tenantId: string, sopInstanceUid: unknown, version: unknown): DicomJsonDataset | undefined {
    if (typeof sopInstanceUid !== 'string') return undefined;
    const row = this.statements.extrasOf.get(tenantId, sopInstanceUid, Number(version));
    return row ? parse(row['extras']) : undefined;
  }

  /** A new generation of the tenant's list, and its job; in one transaction. */
  setList(tenantId: string, requested: readonly ExtraAttributeRequest[]): { extras: ExtraAttributes; job: ReindexJob } {
    const attributes = checkExtraAttributes(requested);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const generation = this.currentList(tenantId).generation + 1;
      const created = {
        id: randomUUID(),
        tenantId,
        generation,
        createdAt: new Date().toISOString(),
        total: Number(this.statements.countCurrent.get(tenantId)!['copies']),
      };
      this.statements.insertList.run(
        tenantId,
        generation,
        JSON.stringify(attributes),
        created.id,
        created.createdAt,
        created.total,
      );
      this.db.exec('COMMIT');
      return {
        extras: { generation, attributes, reindexJobId: created.id },
        job: reindexJobOf(created, undefined, generation),
      };
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Stores the extras of copies picked with the list of `generation`, in one transaction. */
  apply(tenantId: string, generation: number, copies: readonly ReindexedCopy[]): void {
    const row = this.statements.listOfGeneration.get(tenantId, generation);
    if (!row) throw noExtraListGeneration(tenantId, generation);
    const attributes = JSON.parse(String(row['attributes'])) as ExtraAttribute[];
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const copy of copies) {
        const extras = JSON.stringify(pickExtraAttributes(copy.metadata, attributes));
        this.statements.insertExtras.run(tenantId, copy.sopInstanceUid, copy.version, generation, extras);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The tenant's job with this id, as of its last progress. */
  job(tenantId: string, jobId: string): ReindexJob | undefined {
    const row = this.statements.job.get(jobId);
    if (!row || row['tenant'] !== tenantId) return undefined;
    return this.jobOf(row, this.currentList(tenantId).generation);
  }

  unfinishedJobs(limit: number): ReindexJob[] {
    // Each is the latest list of its tenant: its generation is the current one.
    return this.statements.unfinished.all(limit).map((row) => this.jobOf(row, Number(row['generation'])));
  }

  /** Records a batch's progress unless recorded already; a finished one drops older extras. */
  recordProgress(tenantId: string, jobId: string, progress: ReindexProgress): boolean {
    checkReindexProgress(progress);
    const job = this.statements.job.get(jobId);
    if (!job || job['tenant'] !== tenantId) throw noReindexJob(tenantId, jobId);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const inserted = this.statements.insertProgress.run(
        jobId,
        progress.batch,
        progress.cursor ?? null,
        progress.done,
        progress.total,
        progress.errorCount,
        JSON.stringify(progress.errors),
        progress.finished ? 1 : 0,
        new Date().toISOString(),
      );
      const recorded = Number(inserted.changes) === 1;
      if (recorded && progress.finished) this.statements.dropOlderExtras.run(tenantId, Number(job['generation']));
      this.db.exec('COMMIT');
      return recorded;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** A page of the tenant's current copies after `after`, with their metadata. */
  copies(tenantId: string, after: string | undefined, limit: number): Row[] {
    return this.statements.copies.all(tenantId, after ?? '', limit);
  }

  private jobOf(row: Row, currentGeneration: number): ReindexJob {
    const jobId = String(row['job_id']);
    const last = this.statements.lastProgress.get(jobId);
    return reindexJobOf(
      {
        id: jobId,
        tenantId: String(row['tenant']),
        generation: Number(row['generation']),
        createdAt: String(row['created_at']),
        total: Number(row['total']),
      },
      last
        ? {
            batch: Number(last['batch']),
            ...(last['cursor'] !== null ? { cursor: String(last['cursor']) } : {}),
            done: Number(last['done']),
            total: Number(last['total']),
            errorCount: Number(last['error_count']),
            errors: JSON.parse(String(last['errors'])) as ReindexError[],
            finished: Number(last['finished']) === 1,
            recordedAt: String(last['recorded_at']),
          }
        : undefined,
      currentGeneration,
    );
  }
}
