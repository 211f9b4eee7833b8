import { formatTag, INDEX_KEYWORDS, tagOf, type DicomJsonDataset } from '@pacs/dicom';

/** Tags of the attributes a study record carries from its instances: patient and study levels. */
export const STUDY_RECORD_TAGS: readonly string[] = [
  ...INDEX_KEYWORDS.dataset,
  ...INDEX_KEYWORDS.patient,
  ...INDEX_KEYWORDS.study,
].map((keyword) => formatTag(tagOf(keyword)));

/** What the index counts over a study's current instances. */
export interface StudyAggregates {
  readonly seriesCount: number;
  readonly instanceCount: number;
  readonly modalities: readonly string[];
  readonly sopClassUids: readonly string[];
}

const tag = (keyword: string) => formatTag(tagOf(keyword));

/**
 * The DICOM JSON of a study as searches return it (PS3.18 10.6.3.3.1): the patient and study
 * attributes of its latest instance, plus NumberOfStudyRelatedSeries (0020,1206),
 * NumberOfStudyRelatedInstances (0020,1208), ModalitiesInStudy (0008,0061) and
 * SOPClassesInStudy (0008,0062), sorted, so that every adapter writes the same record.
 */
export function studyRecord(instanceAttributes: DicomJsonDataset, aggregates: StudyAggregates): DicomJsonDataset {
  const record: DicomJsonDataset = {};
  for (const key of STUDY_RECORD_TAGS) {
    const attribute = instanceAttributes[key];
    if (attribute) record[key] = attribute;
  }
  record[tag('NumberOfStudyRelatedSeries')] = { vr: 'IS', Value: [aggregates.seriesCount] };
  record[tag('NumberOfStudyRelatedInstances')] = { vr: 'IS', Value: [aggregates.instanceCount] };
  const modalities = [...new Set(aggregates.modalities)].sort();
  record[tag('ModalitiesInStudy')] = modalities.length > 0 ? { vr: 'CS', Value: modalities } : { vr: 'CS' };
  record[tag('SOPClassesInStudy')] = { vr: 'UI', Value: [...new Set(aggregates.sopClassUids)].sort() };
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
