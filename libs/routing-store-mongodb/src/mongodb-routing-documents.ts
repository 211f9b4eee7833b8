import { MongoServerError, type Collection, type Db, type ObjectId } from 'mongodb';
import { dueAtOf, type JobRecord } from '@pacs/routing-store';

/**
 * Collection `<prefix>configs`: each saved revision of a tenant's configuration, inserted once;
 * the unique (tenantId, revision) key makes the insert of revision n + 1 the compare-and-set of a
 * save on revision n. The lists are JSON strings: documents the router owns may hold keys a
 * MongoDB document cannot ('$', '.').
 */
export interface ConfigDocument {
  tenantId: string;
  revision: number;
  destinations: string;
  rules: string;
  updatedAt: string;
}

/**
 * Collection `<prefix>jobs`: each version of each job (its JobRecord as JSON), inserted once and
 * never deleted; the unique (tenantId, jobId, version) key makes the insert of version n + 1 the
 * compare-and-set of every change of version n. `head` is true on the latest version, which the
 * claims, listings and stats query (with the fields copied out of the record); it is set false
 * once the next version is inserted (a write that only ever sets the same value, so it cannot be
 * lost to another). A crash between the two writes leaves two heads: the highest version is the
 * job, the lower one is set false by whoever meets it (mongodb-routing-store.adapter.ts).
 */
export interface JobVersionDocument {
  _id?: ObjectId;
  tenantId: string;
  jobId: string;
  version: number;
  head: boolean;
  destinationId: string;
  studyInstanceUid: string;
  state: JobRecord['state'];
  createdAt: string;
  /** dueAtOf the record: when it can be claimed; null when it cannot. */
  dueAt: string | null;
  record: string;
}

/** Collection `<prefix>confirmed`: an instance the destination confirmed, per job, inserted once. */
export interface ConfirmedDocument {
  tenantId: string;
  jobId: string;
  sopInstanceUid: string;
}

/**
 * Collection `<prefix>rejected`: an instance the destination refused for good, per job and round
 * (JobRecord.round: a retry starts a new one, so the rejections of the previous round are left
 * behind without being deleted), inserted once.
 */
export interface RejectedDocument {
  tenantId: string;
  jobId: string;
  round: number;
  sopInstanceUid: string;
  code: string;
  message: string;
  remoteStatus: number | null;
}

export interface RoutingCollections {
  readonly configs: Collection<ConfigDocument>;
  readonly jobs: Collection<JobVersionDocument>;
  readonly confirmed: Collection<ConfirmedDocument>;
  readonly rejected: Collection<RejectedDocument>;
}

const INDEXES: Record<keyof RoutingCollections, readonly (readonly [Record<string, 1 | -1>, string, boolean?])[]> = {
  configs: [[{ tenantId: 1, revision: 1 }, 'config_revision', true]],
  jobs: [
    [{ tenantId: 1, jobId: 1, version: 1 }, 'job_version', true],
    [{ head: 1, dueAt: 1, createdAt: 1, jobId: 1 }, 'jobs_due'],
    [{ head: 1, tenantId: 1, destinationId: 1, dueAt: 1 }, 'jobs_due_of_destination'],
    [{ tenantId: 1, head: 1, createdAt: -1, jobId: -1 }, 'jobs_listed'],
    [{ head: 1, state: 1 }, 'jobs_by_state'],
  ],
  confirmed: [[{ tenantId: 1, jobId: 1, sopInstanceUid: 1 }, 'confirmed_instance', true]],
  rejected: [[{ tenantId: 1, jobId: 1, round: 1, sopInstanceUid: 1 }, 'rejected_instance', true]],
};

/** The collections, named `<prefix><name>`, with their indexes created when missing. */
export async function routingCollections(db: Db, prefix: string): Promise<RoutingCollections> {
  const collections: RoutingCollections = {
    configs: db.collection<ConfigDocument>(`${prefix}configs`),
    jobs: db.collection<JobVersionDocument>(`${prefix}jobs`),
    confirmed: db.collection<ConfirmedDocument>(`${prefix}confirmed`),
    rejected: db.collection<RejectedDocument>(`${prefix}rejected`),
  };
  // One index per call: FerretDB v1 drops the connection on a createIndexes of several indexes
  // that exist already (a restart); createIndex of an existing one does nothing.
  for (const [name, indexes] of Object.entries(INDEXES) as [keyof RoutingCollections, (typeof INDEXES)['jobs']][]) {
    for (const [key, indexName, unique] of indexes) {
      await collections[name].createIndex(key, { name: indexName, ...(unique ? { unique } : {}) });
    }
  }
  return collections;
}

/** The document of version `version` of the job. */
export function jobVersionDocument(job: JobRecord, version: number): JobVersionDocument {
  return {
    tenantId: job.tenantId,
    jobId: job.jobId,
    version,
    head: true,
    destinationId: job.destinationId,
    studyInstanceUid: job.scope.studyInstanceUid,
    state: job.state,
    createdAt: job.createdAt,
    dueAt: dueAtOf(job),
    record: JSON.stringify(job),
  };
}

export function recordOf(document: Pick<JobVersionDocument, 'record'>): JobRecord {
  return JSON.parse(document.record) as JobRecord;
}

export const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/** A bulk insert whose every failure is a duplicate key (inserted before). */
export function isDuplicateKeysOnly(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (writeErrors === undefined) return isDuplicateKey(error);
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.length > 0 && list.every((one) => (one as { code?: number }).code === 11000);
}
