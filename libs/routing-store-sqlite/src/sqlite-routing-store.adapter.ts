import type { DatabaseSync, SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';
import { immediateTransaction, openWalDatabase, prepareStatements, SqliteTransactions, WalSync } from '@pacs/sqlite-tx';
import {
  cancelledRecord,
  checkClaimRequest,
  checkConfigSave,
  checkConfirmedUids,
  checkId,
  checkJobClaim,
  checkJobFilter,
  checkJobPage,
  checkJobSpec,
  checkOutcome,
  checkRejection,
  claimedRecord,
  compareQueues,
  configConflict,
  dueAtOf,
  encodeJobCursor,
  finishedRecord,
  forwardJobOf,
  holdsClaim,
  instantOf,
  newJobRecord,
  rejectionOf,
  renewedRecord,
  retriedRecord,
  RoutingStoreError,
  unavailable,
  type ClaimRequest,
  type ForwardJob,
  type ForwardJobSpec,
  type InstanceRejection,
  type JobClaim,
  type JobFilter,
  type JobOutcome,
  type JobPage,
  type JobRecord,
  type JsonObject,
  type QueueStats,
  type RoutingConfig,
  type RoutingConfigDocuments,
  type RoutingStore,
} from '@pacs/routing-store';
import { createSchema, SCHEMA_VERSION, schemaVersionOf } from './sqlite-routing-schema';

export interface SqliteRoutingStoreOptions {
  /** The database file, e.g. `<data>/routing.sqlite` (its folder is created), or ':memory:'. */
  readonly file: string;
  /** How long a write waits for another connection's transaction, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

type Row = Record<string, SQLOutputValue>;

const STATEMENTS = {
  latestConfig: `SELECT revision, destinations, rules, updated_at FROM config_revisions
    WHERE tenant = ? ORDER BY revision DESC LIMIT 1`,
  insertConfig: `INSERT INTO config_revisions (tenant, revision, destinations, rules, updated_at)
    VALUES (?, ?, ?, ?, ?)`,
  tenantsWithConfig: 'SELECT DISTINCT tenant FROM config_revisions ORDER BY tenant',
  insertJob: `INSERT INTO jobs (tenant, job_id, destination_id, study_uid, state, created_at, due_at, record)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  job: 'SELECT record FROM jobs WHERE tenant = ? AND job_id = ?',
  updateJob: 'UPDATE jobs SET state = ?, due_at = ?, record = ? WHERE tenant = ? AND job_id = ?',
  dueJobs: `SELECT record FROM jobs WHERE due_at IS NOT NULL AND due_at <= ?
    ORDER BY due_at, created_at, job_id LIMIT ?`,
  dueJobsOfDestination: `SELECT record FROM jobs
    WHERE tenant = ? AND destination_id = ? AND due_at IS NOT NULL AND due_at <= ?
    ORDER BY due_at, created_at, job_id LIMIT ?`,
  confirmedCount: 'SELECT COUNT(*) AS count FROM job_confirmed WHERE tenant = ? AND job_id = ?',
  confirmedUids: 'SELECT sop_uid FROM job_confirmed WHERE tenant = ? AND job_id = ?',
  insertConfirmed: 'INSERT OR IGNORE INTO job_confirmed (tenant, job_id, sop_uid) VALUES (?, ?, ?)',
  rejections: `SELECT sop_uid, code, message, remote_status FROM job_rejected
    WHERE tenant = ? AND job_id = ? ORDER BY sop_uid`,
  insertRejection: `INSERT OR IGNORE INTO job_rejected (tenant, job_id, sop_uid, code, message, remote_status)
    VALUES (?, ?, ?, ?, ?, ?)`,
  deleteRejections: 'DELETE FROM job_rejected WHERE tenant = ? AND job_id = ?',
  stats: `SELECT tenant, destination_id, state, COUNT(*) AS count, MIN(created_at) AS oldest FROM jobs
    WHERE state IN ('pending', 'running', 'failed') GROUP BY tenant, destination_id, state`,
} as const;

type Statements = { readonly [K in keyof typeof STATEMENTS]: StatementSync };

/** The open database, for a transaction. */
interface Open {
  readonly db: DatabaseSync;
  readonly statements: Statements;
}

/**
 * The embedded routing store, on one SQLite file (schema in sqlite-routing-schema.ts). Every
 * write is one BEGIN IMMEDIATE transaction, which takes the file's write lock at once: the read
 * of a job and the write of its next state cannot interleave with another connection's, in this
 * process or another, so a claim is exclusive and every worker's write is a compare-and-set on
 * its claim. A write resolves once the WAL is synced (group commit, as the metadata index).
 */
export class SqliteRoutingStore implements RoutingStore {
  private db: DatabaseSync | undefined;
  private statements: Statements | undefined;
  private readonly listings = new Map<string, StatementSync>();
  private readonly wal: WalSync;
  private readonly transactions: SqliteTransactions<Open>;

  constructor(private readonly options: SqliteRoutingStoreOptions) {
    if (typeof options.file !== 'string' || options.file === '') {
      throw new RoutingStoreError('INVALID_ARGUMENT', 'SqliteRoutingStore: file must be a path', false, {
        field: 'file',
      });
    }
    this.wal = new WalSync(options.file);
    this.transactions = new SqliteTransactions({ open: () => this.open(), durable: this.wal, engineError });
  }

  async start(): Promise<void> {
    if (this.db) return;
    try {
      const { db, setup } = openWalDatabase(this.options.file, this.options.busyTimeoutMs ?? 5000, (db) => {
        const version = schemaVersionOf(db);
        if (version > SCHEMA_VERSION) {
          throw new RoutingStoreError(
            'SCHEMA_TOO_NEW',
            `${this.options.file} has schema version ${version}, this build knows up to ${SCHEMA_VERSION}`,
            false,
          );
        }
        immediateTransaction(db, () => createSchema(db));
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
    this.listings.clear();
    await this.wal.close();
    if (db?.isOpen) db.close();
  }

  async isHealthy(): Promise<boolean> {
    return this.transactions.answers();
  }

  async getConfig(tenantId: string): Promise<RoutingConfig> {
    const tenant = checkId('tenantId', tenantId);
    return this.transactions.read('getConfig', ({ statements }) => configOf(statements.latestConfig.get(tenant)));
  }

  async saveConfig(
    tenantId: string,
    documents: RoutingConfigDocuments,
    expectedRevision: number,
    now: string,
  ): Promise<RoutingConfig> {
    const save = checkConfigSave(tenantId, documents, expectedRevision, now);
    return this.transactions.write('saveConfig', ({ statements }) => {
      const latest = configOf(statements.latestConfig.get(save.tenantId)).revision;
      if (latest !== save.expectedRevision) throw configConflict(save.tenantId, save.expectedRevision, latest);
      const revision = save.expectedRevision + 1;
      statements.insertConfig.run(
        save.tenantId,
        revision,
        JSON.stringify(save.documents.destinations),
        JSON.stringify(save.documents.rules),
        save.now,
      );
      return { revision, ...save.documents, updatedAt: save.now };
    });
  }

  async listTenantsWithConfig(): Promise<string[]> {
    return this.transactions.read('listTenantsWithConfig', ({ statements }) =>
      statements.tenantsWithConfig.all().map((row) => String(row['tenant'])),
    );
  }

  async createJob(spec: ForwardJobSpec, now: string): Promise<'created' | 'exists'> {
    const record = newJobRecord(checkJobSpec(spec), instantOf('now', now));
    return this.transactions.write('createJob', ({ statements }) => {
      const { changes } = statements.insertJob.run(
        record.tenantId,
        record.jobId,
        record.destinationId,
        record.scope.studyInstanceUid,
        record.state,
        record.createdAt,
        dueAtOf(record),
        JSON.stringify(record),
      );
      return Number(changes) === 1 ? 'created' : 'exists';
    });
  }

  async claimDueJobs(request: ClaimRequest): Promise<ForwardJob[]> {
    const checked = checkClaimRequest(request);
    const { destination } = checked;
    return this.transactions.write('claimDueJobs', ({ statements }) => {
      const claimed: ForwardJob[] = [];
      // Each job read leaves the due set once written (running until after now, or failed).
      for (;;) {
        const wanted = checked.limit - claimed.length;
        const rows = destination
          ? statements.dueJobsOfDestination.all(destination.tenantId, destination.destinationId, checked.now, wanted)
          : statements.dueJobs.all(checked.now, wanted);
        if (rows.length === 0) return claimed;
        for (const row of rows) {
          const next = claimedRecord(recordOf(row), checked);
          if (!next) continue;
          this.write(next);
          if (next.state === 'running') claimed.push(this.forwardJob(next));
        }
        if (claimed.length === checked.limit) return claimed;
      }
    });
  }

  async renewLease(claim: JobClaim, until: string): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const end = instantOf('until', until);
    return this.change('renewLease', checked, (job) => renewedRecord(job, checked.claim, end));
  }

  async confirmInstances(claim: JobClaim, sopInstanceUids: readonly string[]): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const uids = checkConfirmedUids(sopInstanceUids);
    return this.transactions.write('confirmInstances', ({ statements }) => {
      const job = this.record(checked.tenantId, checked.jobId);
      if (!job || !holdsClaim(job, checked.claim)) return false;
      for (const uid of uids) statements.insertConfirmed.run(checked.tenantId, checked.jobId, uid);
      return true;
    });
  }

  async confirmedInstances(tenantId: string, jobId: string): Promise<ReadonlySet<string>> {
    const tenant = checkId('tenantId', tenantId);
    const job = checkId('jobId', jobId);
    return this.transactions.read(
      'confirmedInstances',
      ({ statements }) => new Set(statements.confirmedUids.all(tenant, job).map((row) => String(row['sop_uid']))),
    );
  }

  async rejectInstance(claim: JobClaim, rejection: InstanceRejection): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const refused = checkRejection(rejection);
    return this.transactions.write('rejectInstance', ({ statements }) => {
      const job = this.record(checked.tenantId, checked.jobId);
      if (!job || !holdsClaim(job, checked.claim)) return false;
      statements.insertRejection.run(
        checked.tenantId,
        checked.jobId,
        refused.sopInstanceUid,
        refused.code,
        refused.message,
        refused.remoteStatus ?? null,
      );
      return true;
    });
  }

  async finishJob(claim: JobClaim, outcome: JobOutcome, now: string): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const ended = checkOutcome(outcome);
    const at = instantOf('now', now);
    return this.change('finishJob', checked, (job) => finishedRecord(job, checked.claim, ended, at));
  }

  async getJob(tenantId: string, jobId: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    return this.transactions.read('getJob', () => {
      const job = this.record(tenant, id);
      return job && this.forwardJob(job);
    });
  }

  async listJobs(tenantId: string, filter: JobFilter, page: JobPage): Promise<{ jobs: ForwardJob[]; next?: string }> {
    const tenant = checkId('tenantId', tenantId);
    const { destinationId, state, studyInstanceUid } = checkJobFilter(filter);
    const { limit, after } = checkJobPage(page);
    return this.transactions.read('listJobs', ({ db }) => {
      const conditions = ['tenant = ?'];
      const parameters: SQLInputValue[] = [tenant];
      if (destinationId !== undefined) {
        conditions.push('destination_id = ?');
        parameters.push(destinationId);
      }
      if (state !== undefined) {
        conditions.push('state = ?');
        parameters.push(state);
      }
      if (studyInstanceUid !== undefined) {
        conditions.push('study_uid = ?');
        parameters.push(studyInstanceUid);
      }
      if (after !== undefined) {
        conditions.push('(created_at, job_id) < (?, ?)');
        parameters.push(after.createdAt, after.jobId);
      }
      const sql = `SELECT record FROM jobs WHERE ${conditions.join(' AND ')}
        ORDER BY created_at DESC, job_id DESC LIMIT ?`;
      let statement = this.listings.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        this.listings.set(sql, statement);
      }
      const rows = statement.all(...parameters, limit + 1);
      const jobs = rows.slice(0, limit).map((row) => this.forwardJob(recordOf(row)));
      const last = jobs[jobs.length - 1];
      return rows.length > limit && last ? { jobs, next: encodeJobCursor(last) } : { jobs };
    });
  }

  async retryJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    const at = instantOf('now', now);
    return this.transactions.write('retryJob', ({ statements }) => {
      const job = this.record(tenant, id);
      if (!job) return undefined;
      const next = retriedRecord(job, at);
      if (!next) return this.forwardJob(job);
      this.write(next);
      statements.deleteRejections.run(tenant, id);
      return this.forwardJob(next);
    });
  }

  async cancelJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    const at = instantOf('now', now);
    return this.transactions.write('cancelJob', () => {
      const job = this.record(tenant, id);
      if (!job) return undefined;
      const next = cancelledRecord(job, at);
      if (next) this.write(next);
      return this.forwardJob(next ?? job);
    });
  }

  async queueStats(): Promise<QueueStats[]> {
    return this.transactions.read('queueStats', ({ statements }) => {
      const queues = new Map<string, { -readonly [K in keyof QueueStats]: QueueStats[K] }>();
      for (const row of statements.stats.all()) {
        const tenantId = String(row['tenant']);
        const destinationId = String(row['destination_id']);
        const key = JSON.stringify([tenantId, destinationId]);
        let queue = queues.get(key);
        if (!queue) {
          queue = { tenantId, destinationId, pending: 0, running: 0, failed: 0, oldestPendingAt: null };
          queues.set(key, queue);
        }
        const state = String(row['state']) as 'pending' | 'running' | 'failed';
        queue[state] = Number(row['count']);
        if (state === 'pending') queue.oldestPendingAt = String(row['oldest']);
      }
      return [...queues.values()].sort(compareQueues);
    });
  }

  /** Applies `next` to the job named by the claim in one transaction; whether it applied. */
  private change(
    operation: string,
    claim: JobClaim,
    next: (job: JobRecord) => JobRecord | undefined,
  ): Promise<boolean> {
    return this.transactions.write(operation, () => {
      const job = this.record(claim.tenantId, claim.jobId);
      const changed = job && next(job);
      if (!changed) return false;
      this.write(changed);
      return true;
    });
  }

  private record(tenantId: string, jobId: string): JobRecord | undefined {
    const row = this.open().statements.job.get(tenantId, jobId);
    return row ? recordOf(row) : undefined;
  }

  private write(job: JobRecord): void {
    this.open().statements.updateJob.run(job.state, dueAtOf(job), JSON.stringify(job), job.tenantId, job.jobId);
  }

  private forwardJob(job: JobRecord): ForwardJob {
    const { statements } = this.open();
    const confirmed = Number(statements.confirmedCount.get(job.tenantId, job.jobId)!['count']);
    const rejected = statements.rejections.all(job.tenantId, job.jobId).map((row) =>
      rejectionOf({
        sopInstanceUid: String(row['sop_uid']),
        code: String(row['code']),
        message: String(row['message']),
        remoteStatus: row['remote_status'] === null ? null : Number(row['remote_status']),
      }),
    );
    return forwardJobOf(job, confirmed, rejected);
  }

  private open(): Open {
    if (!this.db || !this.statements) throw new Error('SqliteRoutingStore: start() first');
    return { db: this.db, statements: this.statements };
  }
}

function recordOf(row: Row): JobRecord {
  return JSON.parse(String(row['record'])) as JobRecord;
}

function configOf(row: Row | undefined): RoutingConfig {
  if (!row) return { revision: 0, destinations: [], rules: [], updatedAt: null };
  return {
    revision: Number(row['revision']),
    destinations: JSON.parse(String(row['destinations'])) as JsonObject[],
    rules: JSON.parse(String(row['rules'])) as JsonObject[],
    updatedAt: String(row['updated_at']),
  };
}

/**
 * What SQLite or the file system threw, as a retriable UNAVAILABLE (a busy database, a full disk,
 * a failed sync); a RoutingStoreError, or a bug (any other error), as it is.
 */
function engineError(operation: string, error: unknown): unknown {
  if (error instanceof RoutingStoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const fromEngine = typeof code === 'string' && (code.startsWith('ERR_SQLITE') || /^E[A-Z]+$/.test(code));
  return fromEngine ? unavailable(operation, error) : error;
}
