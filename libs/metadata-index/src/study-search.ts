import { formatTag, tagOf, type DicomJsonAttribute, type DicomJsonDataset, type Tag } from '@pacs/dicom';
import type { QueryKey } from './query/parse-qido-query';

/** The study fields every adapter indexes beside the record, to narrow searches down first. */
export interface StudySearchFields {
  readonly studyInstanceUid: string;
  readonly patientId: string | null;
  readonly accessionNumber: string | null;
  readonly studyDate: string | null;
}

export type StudySearchField = keyof StudySearchFields;

const key = (keyword: string): string => formatTag(tagOf(keyword));
const STUDY_DATE = tagOf('StudyDate');
const FIELD_OF_TAG: ReadonlyMap<Tag, StudySearchField> = new Map([
  [tagOf('StudyInstanceUID'), 'studyInstanceUid'],
  [tagOf('PatientID'), 'patientId'],
  [tagOf('AccessionNumber'), 'accessionNumber'],
  [STUDY_DATE, 'studyDate'],
]);

/** The searched fields of a study record (studyRecord). */
export function studySearchFields(studyInstanceUid: string, record: DicomJsonDataset): StudySearchFields {
  return {
    studyInstanceUid,
    patientId: firstString(record[key('PatientID')]) ?? null,
    accessionNumber: firstString(record[key('AccessionNumber')]) ?? null,
    studyDate: firstString(record[key('StudyDate')]) ?? null,
  };
}

/** A condition on a study field that the index can evaluate itself. */
export type FieldCondition =
  | { readonly field: StudySearchField; readonly kind: 'equals'; readonly value: string }
  | { readonly field: StudySearchField; readonly kind: 'in'; readonly values: readonly string[] }
  | { readonly field: StudySearchField; readonly kind: 'range'; readonly from?: string; readonly to?: string };

/**
 * The conditions on the searched fields that the keys imply: a superset of the matches, which the
 * adapter turns into its own query (SQL, a MongoDB filter) before collectPage applies every key.
 */
export function studyNarrowing(keys: readonly QueryKey[]): FieldCondition[] {
  const conditions: FieldCondition[] = [];
  for (const { tag, match } of keys) {
    const field = FIELD_OF_TAG.get(tag);
    if (!field) continue;
    if (match.kind === 'single' && tag !== STUDY_DATE) conditions.push({ field, kind: 'equals', value: match.value });
    else if (match.kind === 'any-of') conditions.push({ field, kind: 'in', values: match.values });
    else if (match.kind === 'range' && tag === STUDY_DATE) {
      conditions.push({
        field,
        kind: 'range',
        ...(match.from !== undefined ? { from: match.from } : {}),
        ...(match.to !== undefined ? { to: match.to } : {}),
      });
    }
  }
  return conditions;
}

/** Modality (0008,0060) of an instance's index attributes, for ModalitiesInStudy. */
export function modalityOf(attributes: DicomJsonDataset): string | null {
  return firstString(attributes[key('Modality')]) ?? null;
}

function firstString(attribute: DicomJsonAttribute | undefined): string | undefined {
  const value = attribute?.Value?.[0];
  return typeof value === 'string' ? value : undefined;
}
