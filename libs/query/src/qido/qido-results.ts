import { formatTag, tagOf, type DicomJsonDataset, type Tag } from '@pacs/dicom';
import { matchingItems, type MatchOptions, type QueryKey, type SearchLevel } from '@pacs/metadata-index';
import type { QidoSearch } from './parse-qido-search';
import { DEFAULT_RETURN_TAGS, UNIQUE_KEY } from './qido-levels';

const RETRIEVE_URL = formatTag(tagOf('RetrieveURL'));
const STUDY_UID = formatTag(UNIQUE_KEY.study);
const SERIES_UID = formatTag(UNIQUE_KEY.series);
const SOP_UID = formatTag(UNIQUE_KEY.instance);

/**
 * The attributes each result of a search carries (PS3.18 10.6.3.3), as DICOM JSON keys, or 'all'
 * (`includefield=all`: the whole record the index holds):
 * - the level's defaults (Tables 10.6.3-3/4/5), with the tenant's extra attributes of the level;
 * - searching series without a study in the path, the study's defaults too; searching instances,
 *   the study's defaults without a study in the path and the series' without a series;
 * - the unique keys of the levels above (StudyInstanceUID, SeriesInstanceUID), so that each result
 *   says where it belongs, as origin servers commonly do;
 * - every attribute given as a key or an includefield.
 * Only what the record holds is returned: a record holds its level and those above, so an
 * includefield of a lower level returns nothing (10.6.3.3.1-2: such attributes "shall not be
 * returned").
 */
export function returnedTags(search: QidoSearch): 'all' | ReadonlySet<string> {
  const { level, scope, query, extras } = search;
  if (query.includeFields === 'all') return 'all';
  const defaults = (of: SearchLevel): Tag[] => [
    ...DEFAULT_RETURN_TAGS[of],
    ...[...extras].filter(([, extraLevel]) => extraLevel === of).map(([tag]) => tag),
  ];
  const tags: Tag[] = defaults(level);
  if (level !== 'study') tags.push(UNIQUE_KEY.study);
  if (level === 'instance') tags.push(UNIQUE_KEY.series);
  if (level !== 'study' && scope.studyInstanceUid === undefined) tags.push(...defaults('study'));
  if (level === 'instance' && scope.seriesInstanceUid === undefined) tags.push(...defaults('series'));
  tags.push(...query.keys.map((key) => key.tag), ...query.includeFields);
  return new Set(tags.map(formatTag));
}

/**
 * The record with each sequence a key matched reduced to its matching items: a response returns
 * those (PS3.4 C.2.2.2.6), whole (QIDO-RS returns whole attributes). Universal sequence keys keep
 * every item.
 */
export function withMatchingItems(
  record: DicomJsonDataset,
  keys: readonly QueryKey[],
  options: MatchOptions = {},
): DicomJsonDataset {
  let reduced: DicomJsonDataset | undefined;
  for (const { tag, match } of keys) {
    if (match.kind !== 'sequence') continue;
    const key = formatTag(tag);
    const attribute = record[key];
    if (!attribute) continue;
    reduced ??= { ...record };
    reduced[key] = { ...attribute, Value: matchingItems(match, attribute, options) };
  }
  return reduced ?? record;
}

/**
 * One result: the returned attributes of the record, in tag order, and its Retrieve URL (0008,1190)
 * at the searched level (PS3.18 10.6.3.3: the study's, series' or instance's URL under `baseUrl`,
 * the `/dicomweb` root of the tenant).
 */
export function qidoResult(
  record: DicomJsonDataset,
  level: SearchLevel,
  returned: 'all' | ReadonlySet<string>,
  baseUrl: string,
): DicomJsonDataset {
  const result: DicomJsonDataset = {};
  const url = retrieveUrl(record, level, baseUrl);
  const keys = Object.keys(record).filter((key) => returned === 'all' || returned.has(key));
  if (url !== undefined) keys.push(RETRIEVE_URL);
  for (const key of [...new Set(keys)].sort()) {
    result[key] = key === RETRIEVE_URL && url !== undefined ? { vr: 'UR', Value: [url] } : record[key]!;
  }
  return result;
}

function retrieveUrl(record: DicomJsonDataset, level: SearchLevel, baseUrl: string): string | undefined {
  const uid = (key: string) => {
    const value = record[key]?.Value?.[0];
    return typeof value === 'string' ? value : undefined;
  };
  const study = uid(STUDY_UID);
  const series = uid(SERIES_UID);
  const sop = uid(SOP_UID);
  if (study === undefined) return undefined;
  if (level === 'study') return `${baseUrl}/studies/${study}`;
  if (series === undefined) return undefined;
  if (level === 'series') return `${baseUrl}/studies/${study}/series/${series}`;
  return sop === undefined ? undefined : `${baseUrl}/studies/${study}/series/${series}/instances/${sop}`;
}
