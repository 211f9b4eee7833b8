import type { DicomDataset } from './dicom-dataset';
import { DicomAttributeError } from './dicom.errors';
import { elementToDicomJson, type DicomJsonAttribute } from './dicom-json';
import { entryOfKeyword } from './dictionary';
import { formatTag, type Tag } from './tag';
import { isValidUid } from './uid';

/**
 * The attributes the index stores per level (patient, study, series, instance), by keyword.
 * ModalitiesInStudy and the other study-level aggregates are computed by the indexer.
 */
export const INDEX_KEYWORDS = Object.freeze({
  patient: ['PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex'],
  study: [
    'StudyInstanceUID',
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'ReferringPhysicianName',
    'StudyDescription',
    'StudyID',
  ],
  series: [
    'SeriesInstanceUID',
    'Modality',
    'SeriesNumber',
    'SeriesDescription',
    'BodyPartExamined',
    'SeriesDate',
    'SeriesTime',
    // The order and procedure step that the series answers (PS3.3 C.7.3.1), matched item by
    // item (PS3.4 C.2.2.2.6): RequestedProcedureID, ScheduledProcedureStepID, AccessionNumber...
    'RequestAttributesSequence',
  ],
  instance: [
    'SOPClassUID',
    'SOPInstanceUID',
    'InstanceNumber',
    'Rows',
    'Columns',
    'NumberOfFrames',
    'BitsAllocated',
    'PhotometricInterpretation',
    'ContentDate',
    'ContentTime',
    'AcquisitionDateTime',
  ],
  /** Needed to interpret the text values again later (PS3.5 6.1.2.3). */
  dataset: ['SpecificCharacterSet'],
} as const);

/** The four UIDs that identify a stored instance. */
export interface InstanceIdentity {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
}

/** Index attributes in the DICOM JSON Model, keyed by tag ("0020000D"). */
export type IndexAttributes = Record<string, DicomJsonAttribute>;

/** Options of createIndexAttributeExtractor. */
export interface IndexAttributeOptions {
  /** More top-level attributes to index, by keyword (e.g. from configuration). */
  readonly extraKeywords?: readonly string[];
}

const IDENTITY = [
  ['StudyInstanceUID', 'studyInstanceUid'],
  ['SeriesInstanceUID', 'seriesInstanceUid'],
  ['SOPInstanceUID', 'sopInstanceUid'],
  ['SOPClassUID', 'sopClassUid'],
] as const;

/**
 * The identifying UIDs of an instance. Each is Type 1 in the SOP Common, General Study and General
 * Series modules (PS3.3 C.12.1, C.7.2.1, C.7.3.1): absent, empty or malformed (PS3.5 9.1) means the
 * data set does not match its SOP Class, answered 0xA900 (PS3.4 B.2.3; storeFailureStatus).
 */
export function readInstanceIdentity(dataset: DicomDataset): InstanceIdentity {
  const identity: Record<string, string> = {};
  for (const [keyword, field] of IDENTITY) {
    const element = dataset.get(keyword);
    const uid = dataset.string(keyword);
    if (uid === undefined) {
      throw new DicomAttributeError('MISSING_ATTRIBUTE', `${keyword} is missing or empty`, keyword, element?.tag);
    }
    if (!isValidUid(uid)) {
      throw new DicomAttributeError(
        'INVALID_UID',
        `${keyword} "${uid}" is not a valid UID (PS3.5 9.1)`,
        keyword,
        element?.tag,
      );
    }
    identity[field] = uid;
  }
  return identity as unknown as InstanceIdentity;
}

/** Extracts the index attributes of a data set; built once, used per instance. */
export type IndexAttributeExtractor = (dataset: DicomDataset) => IndexAttributes;

/**
 * An extractor of the INDEX_KEYWORDS and the extra keywords. Unknown extra keywords throw
 * RangeError here, at start-up, rather than silently index nothing.
 */
export function createIndexAttributeExtractor(options: IndexAttributeOptions = {}): IndexAttributeExtractor {
  const keywords = [...Object.values(INDEX_KEYWORDS).flat(), ...(options.extraKeywords ?? [])];
  const tags: Tag[] = [];
  for (const keyword of keywords) {
    const entry = entryOfKeyword(keyword);
    if (!entry) throw new RangeError(`Index attribute "${keyword}" is not a DICOM keyword (PS3.6)`);
    if (!tags.includes(entry.tag)) tags.push(entry.tag);
  }
  tags.sort((a, b) => a - b);
  const keys = tags.map(formatTag);
  return (dataset) => {
    readInstanceIdentity(dataset);
    const out: IndexAttributes = {};
    for (let i = 0; i < tags.length; i++) {
      const element = dataset.elements.get(tags[i]!);
      if (element) out[keys[i]!] = elementToDicomJson(dataset, element, undefined, keys[i]);
    }
    return out;
  };
}

const defaultExtractor = createIndexAttributeExtractor();

/**
 * The index attributes (INDEX_KEYWORDS) of a data set as DICOM JSON (PS3.18 F.2): PN as component
 * groups, IS/DS/binary numbers as numbers, strings trimmed and split per VR. Attributes absent
 * from the data set are absent from the result; present but empty ones have no Value.
 * Throws DicomAttributeError when an identifying UID is missing or malformed (readInstanceIdentity).
 */
export function extractIndexAttributes(dataset: DicomDataset): IndexAttributes {
  return defaultExtractor(dataset);
}
