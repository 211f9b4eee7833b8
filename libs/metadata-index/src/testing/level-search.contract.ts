import type { DicomJsonDataset } from '@pacs/dicom';
import type { MetadataIndex, SearchLevel, SearchScope } from '../metadata-index.port';
import { QueryError } from '../query/query.errors';
import { contractContext, sharedContractContext, type ContractContext } from './contract-context';
import {
  archive,
  CT_IMAGE,
  indexedInstance,
  MR_IMAGE,
  referenceResults,
  searchWith,
  seriesOf,
  sopsOf,
  tag,
  uidsOf,
} from './contract-fixtures';

/**
 * The archive and a study whose UIDs sort otherwise than they were indexed ("1.10" between "1.1"
 * and "1.2"; "1.10.10" before "1.10.2"), indexed last to first.
 */
export function orderedArchive() {
  const study = { study: '1.10', patientId: 'P3', patientName: { Alphabetic: 'Σωκράτης' }, studyDate: '20230505' };
  return [
    ...archive(),
    indexedInstance({ ...study, series: '1.10.2', sop: '1.10.2.9', instanceNumber: 9 }),
    indexedInstance({ ...study, series: '1.10.2', sop: '1.10.2.10', instanceNumber: 10 }),
    indexedInstance({ ...study, series: '1.10.10', sop: '1.10.10.1', modality: 'MR', sopClassUid: MR_IMAGE }),
  ].reverse();
}

const idsAt = (level: SearchLevel, results: readonly DicomJsonDataset[]) =>
  level === 'study' ? uidsOf(results) : level === 'series' ? seriesOf(results) : sopsOf(results);

/** Series and instance searches: records, order, scope, keys of every level, paging, tenants. */
export function describeLevelSearch(open: () => Promise<MetadataIndex>): void {
  describe('on the ordered archive', () => describeLevelMatching(sharedContractContext(open, orderedArchive)));
  describe('on an index of their own', () => describeLevelTenants(contractContext(open)));
}

function describeLevelMatching(context: Pick<ContractContext, 'index'>): void {
  it('gives a series its study record, its series attributes and NumberOfSeriesRelatedInstances, in UID order', async () => {
    const { results, more } = await searchWith(context.index, 'series', {}, '');
    expect(seriesOf(results)).toEqual(['1.1.1', '1.1.2', '1.10.10', '1.10.2', '1.2.1', '1.3.1']);
    expect(more).toBe(false);
    const study = (await searchWith(context.index, 'study', {}, 'StudyInstanceUID=1.1')).results[0]!;
    expect(results[1]).toEqual({
      ...study,
      [tag('SeriesInstanceUID')]: { vr: 'UI', Value: ['1.1.2'] },
      [tag('Modality')]: { vr: 'CS', Value: ['MR'] },
      [tag('SeriesDescription')]: { vr: 'LO', Value: ['T1'] },
      [tag('NumberOfSeriesRelatedInstances')]: { vr: 'IS', Value: [1] },
    });
    expect(results[0]![tag('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
    expect(results[0]![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [3] });
    // Keys in the order of the tags, as every adapter writes them.
    expect(Object.keys(results[1]!)).toEqual(Object.keys(results[1]!).sort());
  });

  it('gives an instance its series record and its own attributes, in study, series and SOP UID order', async () => {
    const { results } = await searchWith(context.index, 'instance', {}, '');
    expect(sopsOf(results)).toEqual([
      '1.1.1.1',
      '1.1.1.2',
      '1.1.2.1',
      '1.10.10.1',
      '1.10.2.10',
      '1.10.2.9',
      '1.2.1.1',
      '1.3.1.1',
    ]);
    const series = (await searchWith(context.index, 'series', {}, 'SeriesInstanceUID=1.1.1')).results[0]!;
    expect(results[1]).toEqual({
      ...series,
      [tag('SOPInstanceUID')]: { vr: 'UI', Value: ['1.1.1.2'] },
      [tag('SOPClassUID')]: { vr: 'UI', Value: [CT_IMAGE] },
      [tag('InstanceNumber')]: { vr: 'IS', Value: [2] },
    });
    expect(Object.keys(results[1]!)).toEqual(Object.keys(results[1]!).sort());
  });

  it.each<[SearchLevel, SearchScope, string[]]>([
    ['study', { studyInstanceUid: '1.2' }, ['1.2']],
    ['series', { studyInstanceUid: '1.1' }, ['1.1.1', '1.1.2']],
    ['series', { studyInstanceUid: '1.10', seriesInstanceUid: '1.10.2' }, ['1.10.2']],
    ['instance', { studyInstanceUid: '1.10' }, ['1.10.10.1', '1.10.2.10', '1.10.2.9']],
    ['instance', { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1' }, ['1.1.1.1', '1.1.1.2']],
    ['instance', { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1', sopInstanceUid: '1.1.1.2' }, ['1.1.1.2']],
    ['series', { studyInstanceUid: '7.7' }, []],
    // A series of another study is not in this one.
    ['instance', { studyInstanceUid: '1.2', seriesInstanceUid: '1.1.1' }, []],
  ])('searches %s records within %j', async (level, scope, expected) => {
    expect(idsAt(level, (await searchWith(context.index, level, scope, '')).results)).toEqual(expected);
  });

  it.each<[SearchLevel, SearchScope, string, string[]]>([
    ['series', {}, 'Modality=MR', ['1.1.2', '1.10.10']],
    ['series', {}, 'Modality=M*', ['1.1.2', '1.10.10']],
    ['series', {}, 'Modality=CT&PatientID=P1', ['1.1.1', '1.3.1']],
    ['series', {}, 'Modality=CT,MR&AccessionNumber=A1', ['1.1.1', '1.1.2']],
    ['series', {}, 'PatientName=yamada&fuzzymatching=true', ['1.2.1']],
    ['series', {}, 'PatientName=σωκ*', ['1.10.10', '1.10.2']],
    ['series', {}, 'SeriesInstanceUID=1.1.2,1.3.1,7.7', ['1.1.2', '1.3.1']],
    ['series', {}, 'StudyDate=20210101-&Modality=CT', ['1.10.2', '1.2.1', '1.3.1']],
    ['series', {}, 'SeriesDescription=T1', ['1.1.2']],
    ['series', {}, 'NumberOfSeriesRelatedInstances=2', ['1.1.1', '1.10.2']],
    ['series', { studyInstanceUid: '1.1' }, 'Modality=CT', ['1.1.1']],
    ['series', {}, 'StudyInstanceUID=1.10', ['1.10.10', '1.10.2']],
    ['series', {}, 'SOPClassUID=' + CT_IMAGE, []],
    ['instance', {}, 'SOPClassUID=' + MR_IMAGE, ['1.1.2.1', '1.10.10.1']],
    ['instance', {}, 'Modality=MR', ['1.1.2.1', '1.10.10.1']],
    ['instance', {}, 'PatientID=P2', ['1.2.1.1']],
    ['instance', {}, 'SOPInstanceUID=1.1.1.2,1.3.1.1', ['1.1.1.2', '1.3.1.1']],
    ['instance', {}, 'StudyInstanceUID=1.1&SeriesInstanceUID=1.1.1', ['1.1.1.1', '1.1.1.2']],
    ['instance', { studyInstanceUid: '1.1' }, 'InstanceNumber=2', ['1.1.1.2']],
    ['instance', {}, 'PatientName=山田^太郎', ['1.2.1.1']],
    ['instance', {}, 'AccessionNumber=A1&Modality=CT', ['1.1.1.1', '1.1.1.2']],
    ['instance', {}, 'NumberOfStudyRelatedSeries=2&InstanceNumber=10', ['1.10.2.10']],
    ['instance', { studyInstanceUid: '1.10', seriesInstanceUid: '1.10.2' }, 'SOPInstanceUID=1.10.2.9', ['1.10.2.9']],
  ])('searches %s records within %j matching %s', async (level, scope, query, expected) => {
    const { results, more } = await searchWith(context.index, level, scope, query);
    expect(idsAt(level, results)).toEqual(expected);
    expect(more).toBe(false);
    expect(idsAt(level, await referenceResults(context.index, level, scope, query))).toEqual(expected);
  });

  it('pages series and instance records with limit and offset, saying when more matched', async () => {
    const series = await searchWith(context.index, 'series', {}, 'limit=2&offset=1');
    expect(seriesOf(series.results)).toEqual(['1.1.2', '1.10.10']);
    expect(series.more).toBe(true);
    const instances = await searchWith(context.index, 'instance', {}, 'Modality=CT&limit=3&offset=3');
    expect(sopsOf(instances.results)).toEqual(['1.10.2.9', '1.2.1.1', '1.3.1.1']);
    expect(instances.more).toBe(false);
    const limited = await searchWith(context.index, 'instance', { studyInstanceUid: '1.1' }, 'limit=2');
    expect(sopsOf(limited.results)).toEqual(['1.1.1.1', '1.1.1.2']);
    expect(limited.more).toBe(true);
  });

  it.each<[string, SearchLevel, SearchScope]>([
    ['a series without its study', 'series', { seriesInstanceUid: '1.1.1' }],
    ['an instance without its series', 'instance', { studyInstanceUid: '1.1', sopInstanceUid: '1.1.1.1' }],
    ['a study search scoped to a series', 'study', { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1' }],
    [
      'a series search scoped to an instance',
      'series',
      { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1', sopInstanceUid: '1.1.1.1' },
    ],
    ['a UID that is none', 'series', { studyInstanceUid: '1.1; DROP TABLE studies' }],
    ['an unknown level', 'patient' as SearchLevel, {}],
  ])('refuses %s with a QueryError', async (_what, level, scope) => {
    await expect(context.index.search('radiology', level, scope, [])).rejects.toThrow(QueryError);
  });
}

function describeLevelTenants(context: ContractContext): void {
  it('keeps the records of tenants with the same UIDs apart at every level', async () => {
    await context.load(orderedArchive());
    await context.index.upsertInstance(
      indexedInstance({ tenantId: 'cardiology', study: '1.1', series: '1.1.1', sop: '1.1.1.7', patientId: 'C9' }),
    );
    const radiology = await searchWith(
      context.index,
      'instance',
      { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1' },
      '',
    );
    expect(sopsOf(radiology.results)).toEqual(['1.1.1.1', '1.1.1.2']);
    expect(radiology.results[0]![tag('PatientID')]).toEqual({ vr: 'LO', Value: ['P1'] });
    expect(radiology.results[0]![tag('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
    const cardiology = await searchWith(context.index, 'series', {}, '', 'cardiology');
    expect(seriesOf(cardiology.results)).toEqual(['1.1.1']);
    expect(cardiology.results[0]![tag('PatientID')]).toEqual({ vr: 'LO', Value: ['C9'] });
    expect(cardiology.results[0]![tag('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
    expect(cardiology.results[0]![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
    expect(sopsOf((await searchWith(context.index, 'instance', {}, 'PatientID=C9')).results)).toEqual([]);
    expect(sopsOf((await searchWith(context.index, 'instance', {}, 'Modality=CT', 'cardiology')).results)).toEqual([
      '1.1.1.7',
    ]);
    expect((await searchWith(context.index, 'instance', {}, '', 'oncology')).results).toEqual([]);
  });
}
