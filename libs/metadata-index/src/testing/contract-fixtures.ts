import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import type {
  IndexedInstance,
  MetadataIndex,
  SearchLevel,
  SearchResult,
  SearchScope,
  StoredInstance,
} from '../metadata-index.port';
import { matchKey } from '../query/match-attribute';
import { parseQidoQuery } from '../query/parse-qido-query';

export const tag = (keyword: string) => formatTag(tagOf(keyword));
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MR_IMAGE = '1.2.840.10008.5.1.4.1.1.4';

export interface InstanceSpec {
  readonly tenantId?: string;
  readonly study: string;
  readonly series: string;
  readonly sop: string;
  readonly version?: number;
  readonly sopClassUid?: string;
  readonly modality?: string;
  readonly patientId?: string;
  readonly patientName?: { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  readonly studyDate?: string;
  readonly accessionNumber?: string;
  readonly studyDescription?: string;
  readonly seriesDescription?: string;
  /** InstanceNumber; absent when null. */
  readonly instanceNumber?: number | null;
  readonly metadata?: DicomJsonDataset;
  readonly indexedAt?: string;
  /** More index attributes (StudyTime, RequestAttributesSequence, ...), over the others. */
  readonly attributes?: DicomJsonDataset;
}

/** An `instance.stored`-like copy with the index attributes an ingest would extract. */
export function indexedInstance(spec: InstanceSpec): IndexedInstance {
  const attributes: DicomJsonDataset = {
    [tag('StudyInstanceUID')]: { vr: 'UI', Value: [spec.study] },
    [tag('SeriesInstanceUID')]: { vr: 'UI', Value: [spec.series] },
    [tag('SOPInstanceUID')]: { vr: 'UI', Value: [spec.sop] },
    [tag('SOPClassUID')]: { vr: 'UI', Value: [spec.sopClassUid ?? CT_IMAGE] },
    [tag('Modality')]: { vr: 'CS', Value: [spec.modality ?? 'CT'] },
    [tag('PatientID')]: { vr: 'LO', Value: [spec.patientId ?? 'P1'] },
    [tag('PatientName')]: { vr: 'PN', Value: [spec.patientName ?? { Alphabetic: 'Doe^John' }] },
    [tag('StudyDate')]: { vr: 'DA', Value: [spec.studyDate ?? '20200615'] },
    [tag('AccessionNumber')]:
      spec.accessionNumber === undefined ? { vr: 'SH' } : { vr: 'SH', Value: [spec.accessionNumber] },
    [tag('StudyDescription')]: { vr: 'LO', Value: [spec.studyDescription ?? 'CHEST'] },
    ...(spec.seriesDescription !== undefined
      ? { [tag('SeriesDescription')]: { vr: 'LO', Value: [spec.seriesDescription] } }
      : {}),
    ...(spec.instanceNumber !== null
      ? { [tag('InstanceNumber')]: { vr: 'IS', Value: [spec.instanceNumber ?? 1] } }
      : {}),
    ...spec.attributes,
  };
  return {
    tenantId: spec.tenantId ?? 'radiology',
    studyInstanceUid: spec.study,
    seriesInstanceUid: spec.series,
    sopInstanceUid: spec.sop,
    sopClassUid: spec.sopClassUid ?? CT_IMAGE,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    version: spec.version ?? 1,
    blob: {
      key: `${spec.study}/${spec.series}/${spec.sop}-${spec.version ?? 1}.dcm`,
      size: 1000,
      sha256: 'a'.repeat(64),
      tier: 'hot',
    },
    attributes,
    ...(spec.metadata ? { metadata: spec.metadata } : {}),
    ...(spec.indexedAt ? { indexedAt: spec.indexedAt } : {}),
  };
}

const first = (record: DicomJsonDataset, keyword: string) => record[tag(keyword)]?.Value?.[0];
export const uidsOf = (results: readonly DicomJsonDataset[]) => results.map((r) => first(r, 'StudyInstanceUID'));
export const seriesOf = (results: readonly DicomJsonDataset[]) => results.map((r) => first(r, 'SeriesInstanceUID'));
export const sopsOf = (results: readonly DicomJsonDataset[]) => results.map((r) => first(r, 'SOPInstanceUID'));

/** A small archive: three studies of two patients, two modalities, one study without accession. */
export function archive(): IndexedInstance[] {
  const muller = { patientId: 'P1', patientName: { Alphabetic: 'Müller^Jürgen' } };
  const chest = { ...muller, studyDate: '20200110', accessionNumber: 'A1', studyDescription: 'CHEST PA' };
  return [
    indexedInstance({ ...chest, study: '1.1', series: '1.1.1', sop: '1.1.1.1', instanceNumber: 1 }),
    indexedInstance({ ...chest, study: '1.1', series: '1.1.1', sop: '1.1.1.2', instanceNumber: 2 }),
    indexedInstance({
      ...chest,
      study: '1.1',
      series: '1.1.2',
      sop: '1.1.2.1',
      modality: 'MR',
      sopClassUid: MR_IMAGE,
      seriesDescription: 'T1',
    }),
    indexedInstance({
      study: '1.2',
      series: '1.2.1',
      sop: '1.2.1.1',
      patientId: 'P2',
      patientName: { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' },
      studyDate: '20210301',
      accessionNumber: 'A2',
      studyDescription: 'HEAD',
    }),
    indexedInstance({
      ...muller,
      study: '1.3',
      series: '1.3.1',
      sop: '1.3.1.1',
      studyDate: '20221231',
      studyDescription: 'KNEE',
    }),
  ];
}

/** Everything an async iterable gives. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A search with QIDO-RS query parameters. */
export function searchWith(
  index: MetadataIndex,
  level: SearchLevel,
  scope: SearchScope,
  query: string,
  tenantId = 'radiology',
): Promise<SearchResult> {
  const parsed = parseQidoQuery(new URLSearchParams(query));
  return index.search(
    tenantId,
    level,
    scope,
    parsed.keys,
    { ...(parsed.limit !== undefined ? { limit: parsed.limit } : {}), offset: parsed.offset },
    { fuzzy: parsed.fuzzy },
  );
}

/** The records of a search without keys that every key of `query` matches (matchAttribute). */
export async function referenceResults(
  index: MetadataIndex,
  level: SearchLevel,
  scope: SearchScope,
  query: string,
  tenantId = 'radiology',
): Promise<DicomJsonDataset[]> {
  const everything = (await index.search(tenantId, level, scope, [])).results;
  const parsed = parseQidoQuery(new URLSearchParams(query));
  return everything.filter((record) => parsed.keys.every((key) => matchKey(key, record, { fuzzy: parsed.fuzzy })));
}

/** What a listing gives, in short: series/SOP@version. */
export const listed = (instances: readonly StoredInstance[]) =>
  instances.map((i) => `${i.seriesInstanceUid}/${i.sopInstanceUid}@${i.version}`);
