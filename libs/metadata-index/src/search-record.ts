import { formatTag, INDEX_KEYWORDS, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import { STUDY_RECORD_TAGS } from './study-record';

/** Tags of the attributes a series record carries from its instances (INDEX_KEYWORDS.series). */
export const SERIES_RECORD_TAGS: readonly string[] = INDEX_KEYWORDS.series.map((keyword) => formatTag(tagOf(keyword)));

const NUMBER_OF_SERIES_RELATED_INSTANCES = formatTag(tagOf('NumberOfSeriesRelatedInstances'));
const ABOVE_INSTANCE: ReadonlySet<string> = new Set([...STUDY_RECORD_TAGS, ...SERIES_RECORD_TAGS]);

/** The series attributes of an instance's index attributes. */
export function seriesAttributesOf(attributes: DicomJsonDataset): DicomJsonDataset {
  const series: DicomJsonDataset = {};
  for (const key of SERIES_RECORD_TAGS) {
    const attribute = attributes[key];
    if (attribute) series[key] = attribute;
  }
  return series;
}

/**
 * The instance's own attributes among its index attributes: those of no patient, study or series
 * level (INDEX_KEYWORDS.instance, and the extra keywords the ingest was configured with).
 */
export function instanceAttributesOf(attributes: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !ABOVE_INSTANCE.has(key)));
}

/**
 * The DICOM JSON of a series as searches return it (PS3.18 10.6.3.3.2): its study's record
 * (studyRecord), the series attributes of its latest instance and NumberOfSeriesRelatedInstances
 * (0020,1209), the count of its current instances; keys sorted, so that every adapter writes the
 * same record.
 */
export function seriesRecord(
  studyRecord: DicomJsonDataset,
  seriesAttributes: DicomJsonDataset,
  instanceCount: number,
): DicomJsonDataset {
  return sorted({
    ...studyRecord,
    ...seriesAttributes,
    [NUMBER_OF_SERIES_RELATED_INSTANCES]: { vr: 'IS', Value: [instanceCount] },
  });
}

/**
 * The DICOM JSON of an instance as searches return it (PS3.18 10.6.3.3.3): its series' record
 * (seriesRecord) and the instance's own attributes of its current copy (instanceAttributesOf of its index attributes).
 */
export function instanceRecord(
  seriesRecordOfInstance: DicomJsonDataset,
  attributes: DicomJsonDataset,
): DicomJsonDataset {
  return sorted({ ...seriesRecordOfInstance, ...instanceAttributesOf(attributes) });
}

function sorted(record: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
