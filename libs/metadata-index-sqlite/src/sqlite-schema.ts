import type { DatabaseSync } from 'node:sqlite';

/**
 * The schema version this build writes (PRAGMA user_version). 0 is the first schema (copies and
 * study records only); 1 adds the current copy flag, series, name tokens, metadata and stability;
 * 2 the tenants' extra attributes: their lists, the extras of each copy, the copy each series and
 * study takes its attributes from, and the reindex jobs' progress.
 */
export const SCHEMA_VERSION = 2;

/**
 * The tables, created when missing. Columns added since version 0 are added by addMissingColumns
 * to a file of that version (CREATE TABLE IF NOT EXISTS leaves an existing table as it is).
 *
 * - instances: every copy (tenant, SOP Instance UID, version); `current` is 1 on the highest
 *   version, which searches and listings see. Partial indexes over the current copies serve the
 *   instance searches in their order (study, series, SOP), per SOP Class, and the listings in
 *   theirs (series, InstanceNumber with the absent ones last, SOP).
 * - instance_metadata: the DICOM JSON of a copy, apart so that scans of instances stay small.
 * - series: per series of current copies, its attributes (of its latest copy) and counts.
 * - studies: per study, its record and the fields searches narrow on; last_activity and
 *   pending_since (the activity not yet announced stable, NULL once marked) for study.stable.
 * - study_names: the PatientName tokens of each study (personNameTokens).
 * - extra_attribute_lists: each generation of a tenant's extra attributes (JSON), which also
 *   records its reindex job (id, creation, the current copies to do then).
 * - instance_extras: the extra attributes of a copy picked with a generation's list (JSON); the
 *   highest generation of a copy is the one its records use.
 * - reindex_progress: per job, a row per batch done (cumulative counts, the first errors).
 * Series and studies name the copy they take their attributes from (latest_sop, latest_version):
 * its extras are theirs.
 */
const TABLES = `
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
    instance_number INTEGER,
    indexed_at TEXT,
    current INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, sop_uid, version)
  );
  CREATE TABLE IF NOT EXISTS instance_metadata (
    tenant TEXT NOT NULL,
    sop_uid TEXT NOT NULL,
    version INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (tenant, sop_uid, version)
  );
  CREATE TABLE IF NOT EXISTS series (
    tenant TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    modality TEXT,
    instance_count INTEGER NOT NULL,
    sop_class_uids TEXT NOT NULL,
    modalities TEXT NOT NULL,
    attributes TEXT NOT NULL,
    latest_sop TEXT,
    latest_version INTEGER,
    PRIMARY KEY (tenant, study_uid, series_uid)
  );
  CREATE TABLE IF NOT EXISTS studies (
    tenant TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    patient_id TEXT,
    accession_number TEXT,
    study_date TEXT,
    record TEXT NOT NULL,
    series_count INTEGER NOT NULL DEFAULT 0,
    instance_count INTEGER NOT NULL DEFAULT 0,
    name_tokens TEXT NOT NULL DEFAULT '[]',
    last_activity TEXT,
    pending_since TEXT,
    latest_sop TEXT,
    latest_version INTEGER,
    PRIMARY KEY (tenant, study_uid)
  );
  CREATE TABLE IF NOT EXISTS extra_attribute_lists (
    tenant TEXT NOT NULL,
    generation INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    job_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (tenant, generation)
  );
  CREATE TABLE IF NOT EXISTS instance_extras (
    tenant TEXT NOT NULL,
    sop_uid TEXT NOT NULL,
    version INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    extras TEXT NOT NULL,
    PRIMARY KEY (tenant, sop_uid, version, generation)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS reindex_progress (
    job_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    cursor TEXT,
    done INTEGER NOT NULL,
    total INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    errors TEXT NOT NULL,
    finished INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (job_id, batch)
  );
  CREATE TABLE IF NOT EXISTS study_names (
    tenant TEXT NOT NULL,
    token TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    PRIMARY KEY (tenant, token, study_uid)
  ) WITHOUT ROWID;
`;

/** Columns a file of an older version lacks, per table, with their definitions. */
const ADDED_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  instances: {
    instance_number: 'INTEGER',
    indexed_at: 'TEXT',
    current: 'INTEGER NOT NULL DEFAULT 0',
  },
  series: {
    latest_sop: 'TEXT',
    latest_version: 'INTEGER',
  },
  studies: {
    series_count: 'INTEGER NOT NULL DEFAULT 0',
    instance_count: 'INTEGER NOT NULL DEFAULT 0',
    name_tokens: "TEXT NOT NULL DEFAULT '[]'",
    last_activity: 'TEXT',
    pending_since: 'TEXT',
    latest_sop: 'TEXT',
    latest_version: 'INTEGER',
  },
};

// Version 1 to 2: each series and study takes its attributes from its latest current copy
// (refreshSeries, refreshStudy): that copy is the one named.
const LATEST_SOURCES = `
  UPDATE series SET (latest_sop, latest_version) = (
    SELECT sop_uid, version FROM instances i
    WHERE i.tenant = series.tenant AND i.study_uid = series.study_uid AND i.series_uid = series.series_uid
      AND i.current = 1
    ORDER BY indexed_at DESC, rowid DESC LIMIT 1);
  UPDATE studies SET (latest_sop, latest_version) = (
    SELECT sop_uid, version FROM instances i
    WHERE i.tenant = studies.tenant AND i.study_uid = studies.study_uid AND i.current = 1
    ORDER BY indexed_at DESC, rowid DESC LIMIT 1);
`;

const INDEXES = `
  DROP INDEX IF EXISTS instances_of_study;
  CREATE INDEX IF NOT EXISTS current_instances ON instances (tenant, study_uid, series_uid, sop_uid)
    WHERE current = 1;
  CREATE INDEX IF NOT EXISTS current_instances_by_class
    ON instances (tenant, sop_class_uid, study_uid, series_uid, sop_uid) WHERE current = 1;
  CREATE INDEX IF NOT EXISTS current_instances_listed
    ON instances (tenant, study_uid, series_uid, instance_number IS NULL, IFNULL(instance_number, 0), sop_uid)
    WHERE current = 1;
  CREATE INDEX IF NOT EXISTS series_by_modality ON series (tenant, modality, study_uid, series_uid);
  CREATE INDEX IF NOT EXISTS series_by_uid ON series (tenant, series_uid);
  DROP INDEX IF EXISTS studies_by_patient_id;
  DROP INDEX IF EXISTS studies_by_accession;
  CREATE INDEX IF NOT EXISTS studies_of_patient ON studies (tenant, patient_id, study_uid);
  CREATE INDEX IF NOT EXISTS studies_of_accession ON studies (tenant, accession_number, study_uid);
  CREATE INDEX IF NOT EXISTS studies_by_date ON studies (tenant, study_date);
  CREATE INDEX IF NOT EXISTS studies_pending ON studies (pending_since, tenant, study_uid)
    WHERE pending_since IS NOT NULL;
`;

/**
 * Statistics of a large archive for the query planner (sqlite_stat1: rows, then rows per value of
 * each leading run of columns), written in place of those ANALYZE would measure. Without them the
 * planner takes `tenant = ?` for as selective as a UID (a handful of tenants hold everything) and
 * scans a tenant in order rather than look a UID up; with them it looks UIDs, patients and
 * modalities up, and reads in index order what it cannot narrow. An operator's ANALYZE replaces
 * them with measured ones, which are kept.
 */
const PLANNER_STATISTICS: readonly (readonly [table: string, index: string, stat: string])[] = [
  ['instances', 'sqlite_autoindex_instances_1', '10000000 2000000 1 1'],
  ['instances', 'current_instances', '10000000 2000000 300 100 1'],
  ['instances', 'current_instances_by_class', '10000000 2000000 500000 300 100 1'],
  ['instances', 'current_instances_listed', '10000000 2000000 300 100 100 1 1'],
  ['instance_metadata', 'sqlite_autoindex_instance_metadata_1', '10000000 2000000 1 1'],
  ['series', 'sqlite_autoindex_series_1', '100000 20000 3 1'],
  ['series', 'series_by_modality', '100000 20000 5000 3 1'],
  ['series', 'series_by_uid', '100000 20000 1'],
  ['studies', 'sqlite_autoindex_studies_1', '30000 6000 1'],
  ['studies', 'studies_of_patient', '30000 6000 3 1'],
  ['studies', 'studies_of_accession', '30000 6000 1 1'],
  ['studies', 'studies_by_date', '30000 6000 10'],
  ['studies', 'studies_pending', '3000 10 1 1'],
  ['study_names', 'study_names', '100000 20000 5 1'],
];

/** Writes PLANNER_STATISTICS unless statistics of these indexes are there, and loads them. */
function plannerStatistics(db: DatabaseSync): void {
  // Creates sqlite_stat1 when missing, without measuring anything.
  db.exec('ANALYZE sqlite_schema');
  const present = new Set(
    db
      .prepare('SELECT idx FROM sqlite_stat1')
      .all()
      .map((row) => String(row['idx'])),
  );
  if (PLANNER_STATISTICS.every(([, index]) => present.has(index))) return;
  const tables = [...new Set(PLANNER_STATISTICS.map(([table]) => table))];
  db.exec(`DELETE FROM sqlite_stat1 WHERE tbl IN (${tables.map((table) => `'${table}'`).join(', ')})`);
  const insert = db.prepare('INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)');
  for (const [table, index, stat] of PLANNER_STATISTICS) insert.run(table, index, stat);
  db.exec('ANALYZE sqlite_schema');
}

/** The schema version of the file (0 for a new one, or one of the first schema). */
export function schemaVersionOf(db: DatabaseSync): number {
  return Number(db.prepare('PRAGMA user_version').get()!['user_version']);
}

/**
 * Creates what is missing of the current schema, in the open transaction; returns whether the
 * file held copies indexed with the first schema, whose derived tables must then be rebuilt. A
 * file of version 1 keeps its rows: the copy each series and study takes its attributes from is
 * looked up.
 */
export function createSchema(db: DatabaseSync): boolean {
  const version = schemaVersionOf(db);
  db.exec(TABLES);
  for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
    const present = new Set(
      db
        .prepare(`PRAGMA table_info(${table})`)
        .all()
        .map((column) => String(column['name'])),
    );
    for (const [column, definition] of Object.entries(columns)) {
      if (!present.has(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
  }
  db.exec(INDEXES);
  plannerStatistics(db);
  const older = version < 1 && db.prepare('SELECT 1 FROM instances LIMIT 1').get() !== undefined;
  if (version === 1) db.exec(LATEST_SOURCES);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  return older;
}
