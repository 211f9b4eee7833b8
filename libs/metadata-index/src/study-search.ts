import { formatTag, tagOf, type DicomJsonAttribute, type DicomJsonDataset } from '@pacs/dicom';
import { personNameTokens } from './person-name-tokens';

/** The study fields every adapter indexes beside the record, to narrow searches down first. */
export interface StudySearchFields {
  readonly studyInstanceUid: string;
  readonly patientId: string | null;
  readonly accessionNumber: string | null;
  readonly studyDate: string | null;
  /** personNameTokens of PatientName. */
  readonly nameTokens: readonly string[];
}

const key = (keyword: string): string => formatTag(tagOf(keyword));

/**
 * The searched fields of a study record (studyRecord). Each is the attribute's first value
 * without its trailing spaces, as matchAttribute compares it: these attributes have one value
 * (VM 1, PS3.3 C.7.1.1, C.7.2.1).
 */
export function studySearchFields(studyInstanceUid: string, record: DicomJsonDataset): StudySearchFields {
  return {
    studyInstanceUid,
    patientId: firstString(record[key('PatientID')]) ?? null,
    accessionNumber: firstString(record[key('AccessionNumber')]) ?? null,
    studyDate: firstString(record[key('StudyDate')])?.trim() ?? null,
    nameTokens: personNameTokens(record[key('PatientName')]),
  };
}

/** Modality (0008,0060) of an instance's index attributes, for ModalitiesInStudy and series searches. */
export function modalityOf(attributes: DicomJsonDataset): string | null {
  return firstString(attributes[key('Modality')]) ?? null;
}

/**
 * InstanceNumber (0020,0013) of an instance's index attributes as an integer, for the order of
 * listings; null when absent or not an integer (IS, PS3.5 6.2).
 */
export function instanceNumberOf(attributes: DicomJsonDataset): number | null {
  const value = attributes[key('InstanceNumber')]?.Value?.[0];
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isSafeInteger(number) && !(typeof value === 'string' && value.trim() === '') ? number : null;
}

function firstString(attribute: DicomJsonAttribute | undefined): string | undefined {
  const value = attribute?.Value?.[0];
  return typeof value === 'string' ? value.replace(/ +$/, '') : undefined;
}
