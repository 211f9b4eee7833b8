import { INDEX_KEYWORDS, tagOf, type Tag } from '@pacs/dicom';
import { QueryRetrieveSopClass } from '@pacs/ingest';
import type { SearchLevel } from '@pacs/metadata-index';

/** The two information models served (PS3.4 C.6.1 Patient Root, C.6.2 Study Root). */
export type QrModel = 'patient-root' | 'study-root';

/** Values of Query/Retrieve Level (0008,0052) (PS3.4 C.6.1.1, C.6.2.1). */
export type QrLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** The levels of each model, top first. */
export const MODEL_LEVELS: Readonly<Record<QrModel, readonly QrLevel[]>> = {
  'patient-root': ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
  'study-root': ['STUDY', 'SERIES', 'IMAGE'],
};

/** Display name of a model, for error comments. */
export const MODEL_NAMES: Readonly<Record<QrModel, string>> = {
  'patient-root': 'Patient Root',
  'study-root': 'Study Root',
};

/** The information model of a FIND, MOVE or GET SOP class, or undefined for another class. */
export function modelOf(sopClassUid: string | undefined): QrModel | undefined {
  switch (sopClassUid) {
    case QueryRetrieveSopClass.PatientRootFind:
    case QueryRetrieveSopClass.PatientRootMove:
    case QueryRetrieveSopClass.PatientRootGet:
      return 'patient-root';
    case QueryRetrieveSopClass.StudyRootFind:
    case QueryRetrieveSopClass.StudyRootMove:
    case QueryRetrieveSopClass.StudyRootGet:
      return 'study-root';
    default:
      return undefined;
  }
}

/** Unique Key of each level (PS3.4 C.6.1.1.2-C.6.1.1.5, C.6.2.1.2-C.6.2.1.4). */
export const UNIQUE_KEYS: Readonly<Record<QrLevel, Tag>> = {
  PATIENT: tagOf('PatientID'),
  STUDY: tagOf('StudyInstanceUID'),
  SERIES: tagOf('SeriesInstanceUID'),
  IMAGE: tagOf('SOPInstanceUID'),
};

/** The metadata index level each Q/R level is searched at; patients are searched as studies. */
export const SEARCH_LEVELS: Readonly<Record<QrLevel, SearchLevel>> = {
  PATIENT: 'study',
  STUDY: 'study',
  SERIES: 'series',
  IMAGE: 'instance',
};

/** Patient counts, computed over the patient's studies at PATIENT level (PS3.4 C.6.1.1.2). */
export const PATIENT_COUNTS = {
  studies: tagOf('NumberOfPatientRelatedStudies'),
  series: tagOf('NumberOfPatientRelatedSeries'),
  instances: tagOf('NumberOfPatientRelatedInstances'),
} as const;

const tags = (keywords: readonly string[]): Tag[] => keywords.map(tagOf);

// The attributes the index holds, per level (INDEX_KEYWORDS), plus the ones it computes
// (studyRecord, and NumberOfSeriesRelatedInstances of series records).
const PATIENT_ATTRIBUTES = new Set(tags(INDEX_KEYWORDS.patient));
const STUDY_ATTRIBUTES = new Set([
  ...tags(INDEX_KEYWORDS.study),
  ...tags(['NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'ModalitiesInStudy', 'SOPClassesInStudy']),
]);
const SERIES_ATTRIBUTES = new Set([...tags(INDEX_KEYWORDS.series), tagOf('NumberOfSeriesRelatedInstances')]);
const INSTANCE_ATTRIBUTES = new Set(tags(INDEX_KEYWORDS.instance));

/** The Q/R level of the records of each index level (a tenant's extras are never PATIENT ones). */
const QR_LEVEL_OF: Readonly<Record<SearchLevel, QrLevel>> = { study: 'STUDY', series: 'SERIES', instance: 'IMAGE' };

const NO_EXTRAS: ReadonlyMap<Tag, SearchLevel> = new Map();

/**
 * The level an attribute belongs to in the model, when this PACS can match and return it: a
 * built-in index attribute, else one of the tenant's extra attributes (`extras`, extraKeyLevels)
 * at the level of its records; undefined for any other attribute (an optional key it does not
 * support, PS3.4 C.4.1.1.4: answered FF01). In Study Root the patient attributes are study
 * attributes (PS3.4 C.6.2.1.2).
 */
export function levelOfAttribute(
  model: QrModel,
  tag: Tag,
  extras: ReadonlyMap<Tag, SearchLevel> = NO_EXTRAS,
): QrLevel | undefined {
  if (PATIENT_ATTRIBUTES.has(tag)) return model === 'patient-root' ? 'PATIENT' : 'STUDY';
  if (STUDY_ATTRIBUTES.has(tag)) return 'STUDY';
  if (SERIES_ATTRIBUTES.has(tag)) return 'SERIES';
  if (INSTANCE_ATTRIBUTES.has(tag)) return 'IMAGE';
  const extra = extras.get(tag);
  return extra === undefined ? undefined : QR_LEVEL_OF[extra];
}

/** Whether `level` is `of` or above it in the model's hierarchy. */
export function isAtOrAbove(model: QrModel, level: QrLevel, of: QrLevel): boolean {
  const levels = MODEL_LEVELS[model];
  return levels.indexOf(level) <= levels.indexOf(of);
}
