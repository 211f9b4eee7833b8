import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  instanceNumberOf,
  modalityOf,
  seriesAttributesOf,
  studyRecord,
  studySearchFields,
  type IndexedInstance,
  type StudyAggregates,
} from '@pacs/metadata-index';

// The rows derived from the copies (current flags, series, studies, name tokens), kept up to date
// by each upsert in its transaction, and rebuilt from the copies when the schema was older.

/** A row as node:sqlite reads it. */
export type Row = Record<string, SQLOutputValue>;

// Statements that are not built per search, prepared once.
const STATEMENTS = {
  insertCopy: `
    INSERT OR IGNORE INTO instances (tenant, study_uid, series_uid, sop_uid, version, sop_class_uid,
      transfer_syntax_uid, modality, blob_key, blob_size, blob_sha256, blob_tier, attributes, instance_number,
      indexed_at, current)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  insertMetadata: 'INSERT INTO instance_metadata (tenant, sop_uid, version, metadata) VALUES (?, ?, ?, ?)',
  currentCopy: 'SELECT version, study_uid, series_uid FROM instances WHERE tenant = ? AND sop_uid = ? AND current = 1',
  setCurrent: 'UPDATE instances SET current = ? WHERE tenant = ? AND sop_uid = ? AND version = ?',
  series: `
    SELECT instance_count, sop_class_uids, modalities FROM series
    WHERE tenant = ? AND study_uid = ? AND series_uid = ?`,
  upsertSeries: `
    INSERT INTO series (tenant, study_uid, series_uid, modality, instance_count, sop_class_uids, modalities, attributes,
      latest_sop, latest_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, study_uid, series_uid) DO UPDATE SET modality = excluded.modality,
      instance_count = excluded.instance_count, sop_class_uids = excluded.sop_class_uids,
      modalities = excluded.modalities, attributes = excluded.attributes, latest_sop = excluded.latest_sop,
      latest_version = excluded.latest_version`,
  deleteSeries: 'DELETE FROM series WHERE tenant = ? AND study_uid = ? AND series_uid = ?',
  countSeries: `
    SELECT COUNT(*) AS instances, json_group_array(DISTINCT sop_class_uid) AS classes,
      json_group_array(DISTINCT modality) AS modalities
    FROM instances WHERE tenant = ? AND study_uid = ? AND series_uid = ? AND current = 1`,
  latestInSeries: `
    SELECT attributes, sop_uid, version FROM instances WHERE tenant = ? AND study_uid = ? AND series_uid = ? AND current = 1
    ORDER BY indexed_at DESC, rowid DESC LIMIT 1`,
  seriesOfStudy: 'SELECT instance_count, sop_class_uids, modalities FROM series WHERE tenant = ? AND study_uid = ?',
  latestInStudy: `
    SELECT attributes, sop_uid, version FROM instances WHERE tenant = ? AND study_uid = ? AND current = 1
    ORDER BY indexed_at DESC, rowid DESC LIMIT 1`,
  study: 'SELECT name_tokens, last_activity, pending_since FROM studies WHERE tenant = ? AND study_uid = ?',
  upsertStudy: `
    INSERT INTO studies (tenant, study_uid, patient_id, accession_number, study_date, record, series_count,
      instance_count, name_tokens, last_activity, pending_since, latest_sop, latest_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, study_uid) DO UPDATE SET patient_id = excluded.patient_id,
      accession_number = excluded.accession_number, study_date = excluded.study_date, record = excluded.record,
      series_count = excluded.series_count, instance_count = excluded.instance_count,
      name_tokens = excluded.name_tokens, last_activity = excluded.last_activity,
      pending_since = excluded.pending_since, latest_sop = excluded.latest_sop,
      latest_version = excluded.latest_version`,
  deleteStudy: 'DELETE FROM studies WHERE tenant = ? AND study_uid = ?',
  deleteNames: 'DELETE FROM study_names WHERE tenant = ? AND study_uid = ?',
  insertName: 'INSERT OR IGNORE INTO study_names (tenant, token, study_uid) VALUES (?, ?, ?)',
  quietStudies: `
    SELECT tenant, study_uid, series_count, instance_count, pending_since FROM studies
    WHERE pending_since <= ? ORDER BY pending_since, tenant, study_uid LIMIT ?`,
  markStable: 'UPDATE studies SET pending_since = NULL WHERE tenant = ? AND study_uid = ? AND pending_since = ?',
} as const;

export type Statements = { readonly [name in keyof typeof STATEMENTS]: StatementSync };

/** STATEMENTS prepared on the database. */
export function prepareStatements(db: DatabaseSync): Statements {
  return Object.fromEntries(Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}

/** The series and study rows once `instance` became the current copy of its SOP Instance UID. */
export function applyNewCurrent(
  statements: Statements,
  instance: IndexedInstance,
  indexedAt: string,
  previous: Row | undefined,
): void {
  const { tenantId: tenant, studyInstanceUid: study, seriesInstanceUid: series } = instance;
  if (previous) {
    // A new version: its series may lose a SOP Class, or the old copy was in another series.
    refreshSeries(statements, tenant, study, series);
    const [oldStudy, oldSeries] = [String(previous['study_uid']), String(previous['series_uid'])];
    if (oldStudy !== study || oldSeries !== series) refreshSeries(statements, tenant, oldStudy, oldSeries);
    if (oldStudy !== study) refreshStudy(statements, tenant, oldStudy, { activityAt: indexedAt });
  } else {
    const row = statements.series.get(tenant, study, series);
    const modality = modalityOf(instance.attributes);
    statements.upsertSeries.run(
      tenant,
      study,
      series,
      modality,
      Number(row?.['instance_count'] ?? 0) + 1,
      JSON.stringify(union(row?.['sop_class_uids'], [instance.sopClassUid])),
      JSON.stringify(union(row?.['modalities'], modality === null ? [] : [modality])),
      JSON.stringify(seriesAttributesOf(instance.attributes)),
      instance.sopInstanceUid,
      instance.version,
    );
  }
  refreshStudy(statements, tenant, study, {
    latest: { attributes: instance.attributes, sopInstanceUid: instance.sopInstanceUid, version: instance.version },
    activityAt: indexedAt,
  });
}

/** The copy a series or study takes its attributes from: its index attributes, and which it is. */
export interface LatestCopy {
  readonly attributes: DicomJsonDataset;
  readonly sopInstanceUid: string;
  readonly version: number;
}

/** Recounts a series from its current copies, its attributes from the latest; gone when empty. */
export function refreshSeries(statements: Statements, tenant: string, study: string, series: string): void {
  const counts = statements.countSeries.get(tenant, study, series)!;
  const latest = statements.latestInSeries.get(tenant, study, series);
  if (Number(counts['instances']) === 0 || !latest) {
    statements.deleteSeries.run(tenant, study, series);
    return;
  }
  const attributes = parse(latest['attributes']);
  statements.upsertSeries.run(
    tenant,
    study,
    series,
    modalityOf(attributes),
    Number(counts['instances']),
    JSON.stringify(union(counts['classes'], [])),
    JSON.stringify(union(counts['modalities'], [])),
    JSON.stringify(seriesAttributesOf(attributes)),
    String(latest['sop_uid']),
    Number(latest['version']),
  );
}

/**
 * Rewrites a study's row from its series rows: its record with the attributes of the copy given
 * (else those of its latest current copy), its search fields and name tokens; gone when it has no
 * series. An activity moves last_activity and pending_since forward (pending again after marked
 * stable).
 */
export function refreshStudy(
  statements: Statements,
  tenant: string,
  study: string,
  change: { readonly latest?: LatestCopy; readonly activityAt?: string },
): void {
  const aggregates = { seriesCount: 0, instanceCount: 0, modalities: [] as string[], sopClassUids: [] as string[] };
  for (const row of statements.seriesOfStudy.iterate(tenant, study)) {
    aggregates.seriesCount += 1;
    aggregates.instanceCount += Number(row['instance_count']);
    aggregates.modalities.push(...union(row['modalities'], []));
    aggregates.sopClassUids.push(...union(row['sop_class_uids'], []));
  }
  const latest = change.latest ?? latestCopyOf(statements.latestInStudy.get(tenant, study));
  if (aggregates.seriesCount === 0 || !latest) {
    statements.deleteStudy.run(tenant, study);
    statements.deleteNames.run(tenant, study);
    return;
  }
  const record = studyRecord(latest.attributes, aggregates satisfies StudyAggregates);
  const fields = studySearchFields(study, record);
  const existing = statements.study.get(tenant, study);
  const later = (a: SQLOutputValue | undefined, b: string | undefined) =>
    typeof a === 'string' && (b === undefined || a > b) ? a : (b ?? null);
  const tokens = JSON.stringify(fields.nameTokens);
  statements.upsertStudy.run(
    tenant,
    study,
    fields.patientId,
    fields.accessionNumber,
    fields.studyDate,
    JSON.stringify(record),
    aggregates.seriesCount,
    aggregates.instanceCount,
    tokens,
    later(existing?.['last_activity'], change.activityAt),
    later(existing?.['pending_since'], change.activityAt),
    latest.sopInstanceUid,
    latest.version,
  );
  if (existing?.['name_tokens'] === tokens) return;
  statements.deleteNames.run(tenant, study);
  for (const token of fields.nameTokens) statements.insertName.run(tenant, token, study);
}

/**
 * Rebuilds what a file of an older schema lacks from its copies: the current flags, instance
 * numbers, series, study rows and name tokens. Its studies count as announced stable (no
 * study.stable for everything at once), active as of now.
 */
export function rebuildDerivedTables(db: DatabaseSync, statements: Statements): void {
  const now = new Date().toISOString();
  db.prepare(
    `UPDATE instances SET indexed_at = IFNULL(indexed_at, ?), current = (version = (SELECT MAX(version)
      FROM instances AS copy WHERE copy.tenant = instances.tenant AND copy.sop_uid = instances.sop_uid))`,
  ).run(now);
  const numbers: [number, number][] = [];
  for (const row of db.prepare('SELECT rowid, attributes FROM instances').iterate()) {
    const number = instanceNumberOf(parse(row['attributes']));
    if (number !== null) numbers.push([Number(row['rowid']), number]);
  }
  const setNumber = db.prepare('UPDATE instances SET instance_number = ? WHERE rowid = ?');
  for (const [rowid, number] of numbers) setNumber.run(number, rowid);
  db.exec('DELETE FROM series; DELETE FROM study_names');
  const uids = (sql: string) => db.prepare(sql).all();
  for (const row of uids('SELECT DISTINCT tenant, study_uid, series_uid FROM instances WHERE current = 1')) {
    refreshSeries(statements, String(row['tenant']), String(row['study_uid']), String(row['series_uid']));
  }
  for (const row of uids('SELECT DISTINCT tenant, study_uid FROM instances')) {
    refreshStudy(statements, String(row['tenant']), String(row['study_uid']), {});
  }
  db.prepare('UPDATE studies SET last_activity = IFNULL(last_activity, ?), pending_since = NULL').run(now);
}

/** The strings of a JSON array column (nulls left out) and `more`, once each, sorted. */
export function union(json: SQLOutputValue | undefined, more: readonly string[]): string[] {
  const values = typeof json === 'string' ? (JSON.parse(json) as unknown[]) : [];
  return [...new Set([...values, ...more])].filter((v): v is string => typeof v === 'string' && v !== '').sort();
}

export function parse(json: SQLOutputValue | undefined): DicomJsonDataset {
  return JSON.parse(String(json)) as DicomJsonDataset;
}

function latestCopyOf(row: Row | undefined): LatestCopy | undefined {
  if (!row) return undefined;
  return {
    attributes: parse(row['attributes']),
    sopInstanceUid: String(row['sop_uid']),
    version: Number(row['version']),
  };
}
