import { tagOf, type Tag } from '@pacs/dicom';
import type { SearchLevel, SearchOptions } from './metadata-index.port';
import { nameTokenNarrowing, type NameTokenTest } from './person-name-tokens';
import type { QueryKey } from './query/parse-qido-query';

/** The fields every adapter indexes per level beside the records, to narrow searches down first. */
export type SearchField =
  | 'studyInstanceUid'
  | 'patientId'
  | 'accessionNumber'
  | 'studyDate'
  | 'seriesInstanceUid'
  | 'modality'
  | 'sopInstanceUid'
  | 'sopClassUid';

/** The level whose records hold each field (a UID is also held by every level below its own). */
export const LEVEL_OF_FIELD: Readonly<Record<SearchField, SearchLevel>> = {
  studyInstanceUid: 'study',
  patientId: 'study',
  accessionNumber: 'study',
  studyDate: 'study',
  seriesInstanceUid: 'series',
  modality: 'series',
  sopInstanceUid: 'instance',
  sopClassUid: 'instance',
};

/** A condition on a field that the index can evaluate itself. */
export type FieldCondition =
  | { readonly field: SearchField; readonly kind: 'equals'; readonly value: string }
  | { readonly field: SearchField; readonly kind: 'in'; readonly values: readonly string[] }
  /** The value starts with `prefix` (never empty). */
  | { readonly field: SearchField; readonly kind: 'prefix'; readonly prefix: string }
  | { readonly field: SearchField; readonly kind: 'range'; readonly from?: string; readonly to?: string };

/**
 * A condition on the PatientName tokens of a study (personNameTokens): one of the alternatives
 * holds, each a list of tests that all hold.
 */
export interface NameCondition {
  readonly anyOf: readonly (readonly NameTokenTest[])[];
}

/** What the index can check itself of a search, before collectPage applies every key. */
export interface SearchNarrowing {
  readonly fields: readonly FieldCondition[];
  readonly names: readonly NameCondition[];
}

const LEVELS: readonly SearchLevel[] = ['study', 'series', 'instance'];
const STUDY_DATE = tagOf('StudyDate');
const PATIENT_NAME = tagOf('PatientName');
const FIELD_OF_TAG: ReadonlyMap<Tag, SearchField> = new Map([
  [tagOf('StudyInstanceUID'), 'studyInstanceUid'],
  [tagOf('PatientID'), 'patientId'],
  [tagOf('AccessionNumber'), 'accessionNumber'],
  [STUDY_DATE, 'studyDate'],
  [tagOf('SeriesInstanceUID'), 'seriesInstanceUid'],
  [tagOf('Modality'), 'modality'],
  [tagOf('SOPInstanceUID'), 'sopInstanceUid'],
  [tagOf('SOPClassUID'), 'sopClassUid'],
]);

/** Whether records of `level` hold attributes of `fieldLevel` (their own level or one above). */
export function levelHolds(level: SearchLevel, fieldLevel: SearchLevel): boolean {
  return LEVELS.indexOf(fieldLevel) <= LEVELS.indexOf(level);
}

/**
 * The conditions the keys of a search at `level` imply on the indexed fields: a superset of the
 * matches (matchAttribute), which the adapter turns into its own query (SQL, a MongoDB filter)
 * before collectPage applies every key. Keys of a level below the searched one are left to
 * collectPage (the records do not hold them: they match nothing but universal and empty values).
 */
export function searchNarrowing(
  level: SearchLevel,
  keys: readonly QueryKey[],
  options: SearchOptions,
): SearchNarrowing {
  const fields: FieldCondition[] = [];
  const names: NameCondition[] = [];
  for (const { tag, match } of keys) {
    if (tag === PATIENT_NAME) {
      const anyOf = nameTokenNarrowing(match, options.fuzzy ?? false);
      if (anyOf) names.push({ anyOf });
      continue;
    }
    const field = FIELD_OF_TAG.get(tag);
    if (!field || !levelHolds(level, LEVEL_OF_FIELD[field])) continue;
    if (match.kind === 'single' && tag !== STUDY_DATE) fields.push({ field, kind: 'equals', value: match.value });
    else if (match.kind === 'any-of') fields.push({ field, kind: 'in', values: match.values });
    else if (match.kind === 'wildcard') {
      // Wild Card Matching of these (not PN) is case-sensitive (PS3.4 C.2.2.2.4): the characters
      // before the first wildcard start the value.
      const prefix = match.pattern.slice(0, match.pattern.search(/[*?]/));
      if (prefix !== '') fields.push({ field, kind: 'prefix', prefix });
    } else if ((match.kind === 'range' || match.kind === 'date-time') && tag === STUDY_DATE) {
      // Combined with the time, the range's dates are its bounds' first eight characters.
      const date = (bound: string) => (match.kind === 'date-time' ? bound.slice(0, 8) : bound);
      fields.push({
        field,
        kind: 'range',
        ...(match.from !== undefined ? { from: date(match.from) } : {}),
        ...(match.to !== undefined ? { to: date(match.to) } : {}),
      });
    }
  }
  return { fields, names };
}

/**
 * The least string greater than every string that starts with `prefix` (in code point order,
 * which is also the byte order of UTF-8), for a range `>= prefix AND < bound`; undefined when
 * there is none (a prefix of U+10FFFF only).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    // The surrogates are no characters: after U+D7FF comes U+E000.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return chars.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
