import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import {
  prefixUpperBound,
  type FieldCondition,
  type NameCondition,
  type SearchField,
  type SearchLevel,
  type SearchNarrowing,
  type SearchScope,
} from '@pacs/metadata-index';

/** A search as one SQL statement and its parameters. */
export interface SearchSql {
  readonly sql: string;
  readonly parameters: readonly SQLInputValue[];
}

// Per level: the tables joined (st studies, se series, i current instances), where each field
// is, and the order. A UID is taken from the lowest table, whose index starts with it.
const FROM: Readonly<Record<SearchLevel, string>> = {
  study: 'studies st',
  series: 'series se JOIN studies st ON st.tenant = se.tenant AND st.study_uid = se.study_uid',
  instance:
    'instances i JOIN series se ON se.tenant = i.tenant AND se.study_uid = i.study_uid AND se.series_uid = i.series_uid' +
    ' JOIN studies st ON st.tenant = i.tenant AND st.study_uid = i.study_uid',
};
// With each record, the copy its extra attributes come from: the latest of the study, of the
// series, the instance itself.
const STUDY = 'st.record AS study, st.latest_sop AS study_sop, st.latest_version AS study_version';
const SERIES =
  'se.attributes AS series, se.instance_count AS series_instances, se.latest_sop AS series_sop,' +
  ' se.latest_version AS series_version';
const SELECT: Readonly<Record<SearchLevel, string>> = {
  study: STUDY,
  series: `${STUDY}, ${SERIES}`,
  instance: `${STUDY}, ${SERIES}, i.attributes AS instance, i.sop_uid AS sop, i.version AS version`,
};
const LOWEST: Readonly<Record<SearchLevel, string>> = { study: 'st', series: 'se', instance: 'i' };
const ORDER: Readonly<Record<SearchLevel, string>> = {
  study: 'st.study_uid',
  series: 'se.study_uid, se.series_uid',
  instance: 'i.study_uid, i.series_uid, i.sop_uid',
};
const STUDY_COLUMNS: Readonly<Partial<Record<SearchField, string>>> = {
  patientId: 'st.patient_id',
  accessionNumber: 'st.accession_number',
  studyDate: 'st.study_date',
};

function columnOf(level: SearchLevel, field: SearchField): string {
  const lowest = LOWEST[level];
  switch (field) {
    case 'studyInstanceUid':
      return `${lowest}.study_uid`;
    case 'seriesInstanceUid':
      return `${lowest}.series_uid`;
    case 'modality':
      return 'se.modality';
    case 'sopInstanceUid':
      return 'i.sop_uid';
    case 'sopClassUid':
      return 'i.sop_class_uid';
    default:
      return STUDY_COLUMNS[field]!;
  }
}

/**
 * The statement of a search at `level`: the records of the tenant within the scope whose fields
 * meet the narrowing, in the order of the level (the port's), with their study record, series
 * attributes and instance attributes as JSON text, and the copies their extra attributes come from.
 */
export function searchSql(
  tenantId: string,
  level: SearchLevel,
  scope: SearchScope,
  narrowing: SearchNarrowing,
): SearchSql {
  const lowest = LOWEST[level];
  const where = [`${lowest}.tenant = ?`];
  const parameters: SQLInputValue[] = [tenantId];
  if (level === 'instance') where.push('i.current = 1');
  const scoped: [SearchField, string | undefined][] = [
    ['studyInstanceUid', scope.studyInstanceUid],
    ['seriesInstanceUid', scope.seriesInstanceUid],
    ['sopInstanceUid', scope.sopInstanceUid],
  ];
  for (const [field, uid] of scoped) {
    if (uid === undefined) continue;
    where.push(`${columnOf(level, field)} = ?`);
    parameters.push(uid);
  }
  for (const condition of narrowing.fields) fieldSql(columnOf(level, condition.field), condition, where, parameters);
  for (const condition of narrowing.names) nameSql(`${lowest}.study_uid`, tenantId, condition, where, parameters);
  // Instances of a modality are read series by series (series_by_modality): ordered by the series'
  // UIDs, only each series' instances are sorted. Equal to the instances' own UIDs otherwise.
  const bySeries = level === 'instance' && narrowing.fields.some((condition) => condition.field === 'modality');
  const order = bySeries ? 'se.study_uid, se.series_uid, i.sop_uid' : ORDER[level];
  return {
    sql: `SELECT ${SELECT[level]} FROM ${FROM[level]} WHERE ${where.join(' AND ')} ORDER BY ${order}`,
    parameters,
  };
}

const LISTED_ORDER = 'i.series_uid, i.instance_number IS NULL, IFNULL(i.instance_number, 0), i.sop_uid';

/**
 * The statement of one batch of a listing: the current copies of the tenant in the scope (a study
 * at least) in listing order (series, InstanceNumber with the absent ones last, SOP Instance UID),
 * after the row `after` of the previous batch, with their metadata when asked.
 */
export function listSql(
  tenantId: string,
  scope: SearchScope & { readonly studyInstanceUid: string },
  options: { readonly withMetadata: boolean; readonly limit: number; readonly after?: Record<string, SQLOutputValue> },
): SearchSql {
  const where = ['i.tenant = ?', 'i.study_uid = ?', 'i.current = 1'];
  const parameters: SQLInputValue[] = [tenantId, scope.studyInstanceUid];
  if (scope.seriesInstanceUid !== undefined) {
    where.push('i.series_uid = ?');
    parameters.push(scope.seriesInstanceUid);
  }
  if (scope.sopInstanceUid !== undefined) {
    where.push('i.sop_uid = ?');
    parameters.push(scope.sopInstanceUid);
  }
  const { after } = options;
  if (after) {
    where.push(`(${LISTED_ORDER}) > (?, ?, ?, ?)`);
    parameters.push(after['series_uid']!, after['numberless']!, after['number']!, after['sop_uid']!);
  }
  const metadata = options.withMetadata
    ? ', m.metadata FROM instances i LEFT JOIN instance_metadata m' +
      ' ON m.tenant = i.tenant AND m.sop_uid = i.sop_uid AND m.version = i.version'
    : ' FROM instances i';
  return {
    sql:
      'SELECT i.study_uid, i.series_uid, i.sop_uid, i.sop_class_uid, i.transfer_syntax_uid, i.version, i.blob_key,' +
      ' i.blob_size, i.blob_sha256, i.blob_tier, i.attributes, i.instance_number IS NULL AS numberless,' +
      ` IFNULL(i.instance_number, 0) AS number${metadata} WHERE ${where.join(' AND ')}` +
      ` ORDER BY ${LISTED_ORDER} LIMIT ${options.limit}`,
    parameters,
  };
}

function fieldSql(column: string, condition: FieldCondition, where: string[], parameters: SQLInputValue[]): void {
  if (condition.kind === 'equals') {
    where.push(`${column} = ?`);
    parameters.push(condition.value);
  } else if (condition.kind === 'in') {
    where.push(`${column} IN (${condition.values.map(() => '?').join(', ')})`);
    parameters.push(...condition.values);
  } else if (condition.kind === 'prefix') {
    where.push(prefixSql(column, condition.prefix, parameters));
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

/** The alternatives of the condition, each study UID in the tokens of every test of one. */
function nameSql(
  studyColumn: string,
  tenantId: string,
  condition: NameCondition,
  where: string[],
  parameters: SQLInputValue[],
): void {
  const alternatives = condition.anyOf.map((tests) =>
    tests
      .map((test) => {
        parameters.push(tenantId);
        let token = 'token = ?';
        if (test.kind === 'equals') parameters.push(test.token);
        else token = prefixSql('token', test.token, parameters);
        return `${studyColumn} IN (SELECT study_uid FROM study_names WHERE tenant = ? AND ${token})`;
      })
      .join(' AND '),
  );
  where.push(`(${alternatives.map((sql) => `(${sql})`).join(' OR ')})`);
}

/** `column` starts with `prefix`, as a range its index serves (BINARY collation compares bytes). */
function prefixSql(column: string, prefix: string, parameters: SQLInputValue[]): string {
  const bound = prefixUpperBound(prefix);
  parameters.push(prefix);
  if (bound === undefined) return `${column} >= ?`;
  parameters.push(bound);
  return `${column} >= ? AND ${column} < ?`;
}
