import { formatTag, INDEX_KEYWORDS, keywordOf, tagOf, type Tag } from '@pacs/dicom';
import type { SearchLevel } from '@pacs/metadata-index';

/** The levels from the top (PS3.4 C.6.2.1, Study Root; patient attributes count as the study's). */
export const QIDO_LEVELS: readonly SearchLevel[] = ['study', 'series', 'instance'];

const tags = (keywords: readonly string[]): readonly Tag[] => keywords.map((keyword) => tagOf(keyword));

/**
 * What each level returns by default (PS3.18 10.6.3.3.1-3, Tables 10.6.3-3, 10.6.3-4 and
 * 10.6.3-5), Retrieve URL (0008,1190) apart: it is computed per result. Attributes the index does
 * not hold (Instance Availability, Timezone Offset From UTC, the performed procedure step ones)
 * are "present if known" there, so they are left out.
 */
export const DEFAULT_RETURN_TAGS: Readonly<Record<SearchLevel, readonly Tag[]>> = {
  study: tags([
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'InstanceAvailability',
    'ModalitiesInStudy',
    'ReferringPhysicianName',
    'TimezoneOffsetFromUTC',
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'PatientSex',
    'StudyInstanceUID',
    'StudyID',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ]),
  series: tags([
    'Modality',
    'TimezoneOffsetFromUTC',
    'SeriesDescription',
    'SeriesInstanceUID',
    'SeriesNumber',
    'NumberOfSeriesRelatedInstances',
    'PerformedProcedureStepStartDate',
    'PerformedProcedureStepStartTime',
    'RequestAttributesSequence',
  ]),
  instance: tags([
    'SOPClassUID',
    'SOPInstanceUID',
    'InstanceAvailability',
    'TimezoneOffsetFromUTC',
    'InstanceNumber',
    'Rows',
    'Columns',
    'BitsAllocated',
    'NumberOfFrames',
  ]),
};

/** The unique key of each level (PS3.4 C.6.2.1): named in every result at or below it. */
export const UNIQUE_KEY: Readonly<Record<SearchLevel, Tag>> = {
  study: tagOf('StudyInstanceUID'),
  series: tagOf('SeriesInstanceUID'),
  instance: tagOf('SOPInstanceUID'),
};

/**
 * The attributes the index matches on, by level: those it records from the instances
 * (INDEX_KEYWORDS) and those it computes (PS3.4 C.3.4). Specific Character Set is not a key.
 */
const KEY_KEYWORDS: Readonly<Record<SearchLevel, readonly string[]>> = {
  study: [
    ...INDEX_KEYWORDS.patient,
    ...INDEX_KEYWORDS.study,
    'ModalitiesInStudy',
    'SOPClassesInStudy',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ],
  series: [...INDEX_KEYWORDS.series, 'NumberOfSeriesRelatedInstances'],
  instance: [...INDEX_KEYWORDS.instance],
};

const NO_EXTRAS: ReadonlyMap<Tag, SearchLevel> = new Map();

const LEVEL_OF_KEY: ReadonlyMap<Tag, SearchLevel> = new Map(
  QIDO_LEVELS.flatMap((level) => KEY_KEYWORDS[level].map((keyword) => [tagOf(keyword), level] as const)),
);

/**
 * The level of an attribute the index matches on: a built-in key, else one of the tenant's extra
 * attributes (`extras`, extraKeyLevels); undefined for any other attribute.
 */
export function levelOfKey(tag: Tag, extras: ReadonlyMap<Tag, SearchLevel> = NO_EXTRAS): SearchLevel | undefined {
  return LEVEL_OF_KEY.get(tag) ?? extras.get(tag);
}

/** Whether `level` is `other` or above it. */
export function isAtOrAbove(level: SearchLevel, other: SearchLevel): boolean {
  return QIDO_LEVELS.indexOf(level) <= QIDO_LEVELS.indexOf(other);
}

/**
 * The keywords a search at `level` matches on: its own level's and those above (relational
 * queries), the tenant's extra attributes included.
 */
export function keywordsMatchedAt(
  level: SearchLevel,
  extras: ReadonlyMap<Tag, SearchLevel> = NO_EXTRAS,
): readonly string[] {
  const extra = [...extras].filter(([, l]) => isAtOrAbove(l, level)).map(([tag]) => keywordOf(tag) ?? formatTag(tag));
  return [...QIDO_LEVELS.filter((l) => isAtOrAbove(l, level)).flatMap((l) => KEY_KEYWORDS[l]), ...extra];
}
