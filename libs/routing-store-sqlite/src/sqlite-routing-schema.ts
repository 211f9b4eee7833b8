import type { DatabaseSync } from 'node:sqlite';

/** The schema version this build writes (PRAGMA user_version); 1 is the first. */
export const SCHEMA_VERSION = 1;

/**
 * - config_revisions: every saved revision of a tenant's configuration (the latest is the
 *   highest; the older ones are its history).
 * - jobs: per tenant and job id, the job (JobRecord as JSON) and the columns queried: its
 *   destination, study, state, creation, and due_at (when it can be claimed: a pending job's next
 *   attempt, a running one's lease end; NULL otherwise).
 * - job_confirmed: the instances the destination confirmed, per job.
 * - job_rejected: the instances the destination refused for good, per job (cleared on retry).
 * Partial indexes serve the claims (due jobs, all or of one destination), the listings (newest
 * first) and the queue stats (jobs pending, running and failed).
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS config_revisions (
    tenant TEXT NOT NULL,
    revision INTEGER NOT NULL,
    destinations TEXT NOT NULL,
    rules TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, revision)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS jobs (
    tenant TEXT NOT NULL,
    job_id TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT,
    record TEXT NOT NULL,
    PRIMARY KEY (tenant, job_id)
  );
  CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due_at, created_at, job_id) WHERE due_at IS NOT NULL;
  CREATE INDEX IF NOT EXISTS jobs_due_of_destination
    ON jobs (tenant, destination_id, due_at, created_at, job_id) WHERE due_at IS NOT NULL;
  CREATE INDEX IF NOT EXISTS jobs_listed ON jobs (tenant, created_at, job_id);
  CREATE INDEX IF NOT EXISTS jobs_live ON jobs (tenant, destination_id, state, created_at)
    WHERE state IN ('pending', 'running', 'failed');
  CREATE TABLE IF NOT EXISTS job_confirmed (
    tenant TEXT NOT NULL,
    job_id TEXT NOT NULL,
    sop_uid TEXT NOT NULL,
    PRIMARY KEY (tenant, job_id, sop_uid)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS job_rejected (
    tenant TEXT NOT NULL,
    job_id TEXT NOT NULL,
    sop_uid TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    remote_status INTEGER,
    PRIMARY KEY (tenant, job_id, sop_uid)
  ) WITHOUT ROWID;
`;

/** The schema version of the file (0 for a new one). */
export function schemaVersionOf(db: DatabaseSync): number {
  return Number(db.prepare('PRAGMA user_version').get()!['user_version']);
}

/** Creates what is missing of the schema, in the open transaction. */
export function createSchema(db: DatabaseSync): void {
  db.exec(SCHEMA);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}
