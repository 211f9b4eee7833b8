import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import type { IndexedInstance, MetadataIndex } from '../metadata-index.port';
import { matchAttribute } from '../query/match-attribute';
import { parseQidoQuery } from '../query/parse-qido-query';

const tag = (keyword: string) => formatTag(tagOf(keyword));
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const MR_IMAGE = '1.2.840.10008.5.1.4.1.1.4';

interface InstanceSpec {
  readonly tenantId?: string;
  readonly study: string;
  readonly series: string;
  readonly sop: string;
  readonly version?: number;
  readonly sopClassUid?: string;
  readonly modality?: string;
  readonly patientId?: string;
  readonly patientName?: { Alphabetic?: string; Ideographic?: string };
  readonly studyDate?: string;
  readonly accessionNumber?: string;
  readonly studyDescription?: string;
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
  };
}

const uidsOf = (results: readonly DicomJsonDataset[]) => results.map((r) => r[tag('StudyInstanceUID')]!.Value![0]);

/** A small archive: three studies of two patients, two modalities, one study without accession. */
function archive(): IndexedInstance[] {
  return [
    indexedInstance({
      study: '1.1',
      series: '1.1.1',
      sop: '1.1.1.1',
      patientId: 'P1',
      patientName: { Alphabetic: 'Müller^Jürgen' },
      studyDate: '20200110',
      accessionNumber: 'A1',
      studyDescription: 'CHEST PA',
    }),
    indexedInstance({
      study: '1.1',
      series: '1.1.1',
      sop: '1.1.1.2',
      patientId: 'P1',
      patientName: { Alphabetic: 'Müller^Jürgen' },
      studyDate: '20200110',
      accessionNumber: 'A1',
      studyDescription: 'CHEST PA',
    }),
    indexedInstance({
      study: '1.1',
      series: '1.1.2',
      sop: '1.1.2.1',
      modality: 'MR',
      sopClassUid: MR_IMAGE,
      patientId: 'P1',
      patientName: { Alphabetic: 'Müller^Jürgen' },
      studyDate: '20200110',
      accessionNumber: 'A1',
      studyDescription: 'CHEST PA',
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
      study: '1.3',
      series: '1.3.1',
      sop: '1.3.1.1',
      patientId: 'P1',
      patientName: { Alphabetic: 'Müller^Jürgen' },
      studyDate: '20221231',
      studyDescription: 'KNEE',
    }),
  ];
}

/**
 * The contract every MetadataIndex adapter passes. `open` gives a started, empty index; the suite
 * closes it.
 */
export function runMetadataIndexContract(name: string, open: () => Promise<MetadataIndex>): void {
  describe(`MetadataIndex contract: ${name}`, () => {
    let index: MetadataIndex;
    beforeEach(async () => {
      index = await open();
    });
    afterEach(async () => {
      await index.close();
    });
    const load = async (instances = archive()) => {
      for (const instance of instances) await index.upsertInstance(instance);
    };
    const search = async (query: string, tenantId = 'radiology') => {
      const parsed = parseQidoQuery(new URLSearchParams(query));
      return index.searchStudies(
        tenantId,
        parsed.keys,
        { limit: parsed.limit, offset: parsed.offset },
        { fuzzy: parsed.fuzzy },
      );
    };

    it('indexes a copy once: the same copy again is unchanged', async () => {
      const copy = archive()[0]!;
      expect(await index.upsertInstance(copy)).toBe('created');
      expect(await index.upsertInstance(copy)).toBe('unchanged');
      const { results } = await search('');
      expect(results).toHaveLength(1);
      expect(results[0]![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
    });

    it('keeps per study its patient and study attributes and the computed counts, modalities and classes', async () => {
      await load();
      // A second version of an instance is not a second instance.
      await index.upsertInstance(
        indexedInstance({
          study: '1.1',
          series: '1.1.1',
          sop: '1.1.1.1',
          version: 2,
          patientId: 'P1',
          patientName: { Alphabetic: 'Müller^Jürgen' },
          studyDate: '20200110',
          accessionNumber: 'A1',
          studyDescription: 'CHEST PA',
        }),
      );
      const { results } = await search('StudyInstanceUID=1.1');
      expect(results).toHaveLength(1);
      const study = results[0]!;
      expect(study[tag('NumberOfStudyRelatedSeries')]).toEqual({ vr: 'IS', Value: [2] });
      expect(study[tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [3] });
      expect(study[tag('ModalitiesInStudy')]).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
      expect(study[tag('SOPClassesInStudy')]).toEqual({ vr: 'UI', Value: [CT_IMAGE, MR_IMAGE] });
      expect(study[tag('PatientID')]).toEqual({ vr: 'LO', Value: ['P1'] });
      expect(study[tag('StudyDescription')]).toEqual({ vr: 'LO', Value: ['CHEST PA'] });
      expect(study[tag('SOPInstanceUID')]).toBeUndefined();
    });

    it('leaves the index as it was when every event is replayed', async () => {
      await load();
      const before = await search('');
      await load();
      await load(archive().reverse());
      expect(await search('')).toEqual(before);
    });

    it('shows a tenant nothing of another tenant', async () => {
      await load();
      await index.upsertInstance(
        indexedInstance({ tenantId: 'cardiology', study: '9.1', series: '9.1.1', sop: '9.1.1.1', patientId: 'P1' }),
      );
      expect(uidsOf((await search('PatientID=P1', 'cardiology')).results)).toEqual(['9.1']);
      expect(uidsOf((await search('PatientID=P1')).results)).toEqual(['1.1', '1.3']);
      expect((await search('StudyInstanceUID=9.1')).results).toEqual([]);
      expect((await search('', 'oncology')).results).toEqual([]);
    });

    it.each([
      ['', ['1.1', '1.2', '1.3']],
      ['PatientID=P1', ['1.1', '1.3']],
      ['PatientID=p1', []],
      ['PatientName=müller*', ['1.1', '1.3']],
      ['PatientName=muller&fuzzymatching=true', ['1.1', '1.3']],
      ['PatientName=山田*', ['1.2']],
      ['StudyDate=20200101-20211231', ['1.1', '1.2']],
      ['StudyDate=-20200110', ['1.1']],
      ['StudyDate=20221231', ['1.3']],
      ['StudyInstanceUID=1.1,1.3,7.7', ['1.1', '1.3']],
      ['AccessionNumber=""', ['1.3']],
      ['AccessionNumber=A*', ['1.1', '1.2']],
      ['ModalitiesInStudy=MR', ['1.1']],
      ['ModalitiesInStudy=MR,CT', ['1.1', '1.2', '1.3']],
      ['StudyDescription=*A*', ['1.1', '1.2']],
      ['PatientID=P1&StudyDate=20220101-', ['1.3']],
      ['NumberOfStudyRelatedInstances=3', ['1.1']],
    ])('finds the studies matching %s', async (query, expected) => {
      await load();
      const { results, more } = await search(query);
      expect(uidsOf(results)).toEqual(expected);
      expect(more).toBe(false);
      // The reference semantics agree.
      const everything = (await search('')).results;
      const keys = parseQidoQuery(new URLSearchParams(query));
      const reference = everything.filter((study) =>
        keys.keys.every((key) => matchAttribute(key.match, study[formatTag(key.tag)], { fuzzy: keys.fuzzy })),
      );
      expect(uidsOf(reference)).toEqual(expected);
    });

    it('pages the results in StudyInstanceUID order with limit and offset, saying when more matched', async () => {
      await load();
      expect(await search('limit=2')).toMatchObject({ more: true });
      expect(uidsOf((await search('limit=2')).results)).toEqual(['1.1', '1.2']);
      const last = await search('limit=2&offset=2');
      expect(uidsOf(last.results)).toEqual(['1.3']);
      expect(last.more).toBe(false);
      expect(uidsOf((await search('PatientID=P1&offset=1')).results)).toEqual(['1.3']);
    });
  });
}
