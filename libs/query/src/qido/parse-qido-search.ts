import { formatTag, isValidUid, type Tag } from '@pacs/dicom';
import {
  parseQidoQuery,
  QueryError,
  type QidoQuery,
  type QueryKey,
  type SearchLevel,
  type SearchScope,
} from '@pacs/metadata-index';
import { isAtOrAbove, keywordsMatchedAt, levelOfKey } from './qido-levels';

/** A QIDO-RS search: what it looks for, where, and how (PS3.18 10.6.1). */
export interface QidoSearch {
  readonly level: SearchLevel;
  /** The UIDs of the target resource's path: none, a study, or a study and one of its series. */
  readonly scope: SearchScope;
  readonly query: QidoQuery;
  /** The tenant's extra attributes by tag, each at its level: keys, and returned by default. */
  readonly extras: ReadonlyMap<Tag, SearchLevel>;
}

/** The UIDs of the path as the router gives them (unchecked). */
export interface QidoPathUids {
  readonly study?: string;
  readonly series?: string;
}

const LEVEL_NAMES: Readonly<Record<SearchLevel, string>> = {
  study: 'a study',
  series: 'a series',
  instance: 'an instance',
};

/**
 * Reads a search of `level` at the path's UIDs with its query parameters (PS3.18 8.3.4, 10.6.1.2):
 * each UID of the path must be a UID (PS3.5 9.1); each key that selects (not a universal match,
 * which only asks for the attribute back) must be one the index matches on, built in or one of
 * the tenant's extra attributes (`extras`: extraKeyLevels), at the searched level or above it
 * (relational queries, PS3.18 10.6.1.2.1); a sequence is matched by the attributes of its item
 * (`RequestAttributesSequence.RequestedProcedureID=...`). A QueryError names the parameter.
 */
export function parseQidoSearch(
  level: SearchLevel,
  path: QidoPathUids,
  params: Iterable<readonly [string, string]>,
  extras: ReadonlyMap<Tag, SearchLevel> = new Map(),
): QidoSearch {
  const scope: { studyInstanceUid?: string; seriesInstanceUid?: string } = {};
  if (path.study !== undefined) scope.studyInstanceUid = pathUid('StudyInstanceUID', path.study);
  if (path.series !== undefined) scope.seriesInstanceUid = pathUid('SeriesInstanceUID', path.series);
  const query = parseQidoQuery(params);
  const parameterOf = (key: QueryKey) => query.parameters.get(key.tag) ?? key.keyword ?? formatTag(key.tag);
  for (const key of query.keys) {
    if (key.match.kind === 'universal') continue;
    checkKeyLevel(level, key, parameterOf(key), extras);
    // A combined date-time key holds the range of its time too, whose key is now universal.
    const time = key.match.kind === 'date-time' ? key.match.time : undefined;
    const partner = query.keys.find((other) => other.tag === time);
    if (partner) checkKeyLevel(level, partner, parameterOf(partner), extras);
  }
  return { level, scope, query, extras };
}

function pathUid(name: string, value: string): string {
  if (!isValidUid(value)) throw new QueryError(name, `"${value}" in the URL is not a UID (PS3.5 9.1)`);
  return value;
}

function checkKeyLevel(
  level: SearchLevel,
  key: QueryKey,
  parameter: string,
  extras: ReadonlyMap<Tag, SearchLevel>,
): void {
  const name = key.keyword ?? formatTag(key.tag);
  const keyLevel = levelOfKey(key.tag, extras);
  if (keyLevel === undefined) {
    throw new QueryError(
      parameter,
      `${name} is not an attribute this server matches on in ${LEVEL_NAMES[level]} search; it matches on ${keywordsMatchedAt(level, extras).join(', ')}`,
    );
  }
  if (!isAtOrAbove(keyLevel, level)) {
    throw new QueryError(
      parameter,
      `${name} is ${LEVEL_NAMES[keyLevel]} attribute: it cannot select in ${LEVEL_NAMES[level]} search (PS3.18 10.6.1.2)`,
    );
  }
}
