import type { DicomJsonDataset } from '@pacs/dicom';
import type { IndexedInstance, MetadataIndex, SearchScope } from '../metadata-index.port';
import { QueryError } from '../query/query.errors';
import { contractContext, sharedContractContext, type ContractContext } from './contract-context';
import {
  collect,
  CT_IMAGE,
  indexedInstance,
  listed,
  MR_IMAGE,
  searchWith,
  seriesOf,
  sopsOf,
  tag,
  uidsOf,
  type InstanceSpec,
} from './contract-fixtures';

type ListScope = SearchScope & { readonly studyInstanceUid: string };

/**
 * A study of two series whose UIDs sort otherwise than they were indexed ("4.1.10" before
 * "4.1.2"), with InstanceNumbers that tie, are negative or absent; indexed in no order.
 */
export function listedStudy(tenantId = 'radiology'): IndexedInstance[] {
  const of = (series: string, sop: string, instanceNumber: number | null, more: Partial<InstanceSpec> = {}) =>
    indexedInstance({ tenantId, study: '4.1', series, sop, instanceNumber, ...more });
  return [
    of('4.1.2', '4.1.2.3', null),
    of('4.1.2', '4.1.2.7', 1000),
    of('4.1.2', '4.1.2.1', 10, { metadata: metadataOf('4.1.2.1', 1) }),
    of('4.1.2', '4.1.2.4', 2),
    of('4.1.10', '4.1.10.1', 1, { modality: 'MR', sopClassUid: MR_IMAGE }),
    of('4.1.2', '4.1.2.6', null),
    of('4.1.2', '4.1.2.2', 2),
    of('4.1.2', '4.1.2.5', -1),
  ];
}

/** Whole-data-set metadata as the indexer reads it (BulkDataURI relative). */
function metadataOf(sop: string, version: number): DicomJsonDataset {
  return {
    [tag('SOPInstanceUID')]: { vr: 'UI', Value: [sop] },
    [tag('Rows')]: { vr: 'US', Value: [512 * version] },
    [tag('PixelData')]: { vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' },
  };
}

const LISTED_ORDER = [
  '4.1.10/4.1.10.1@1',
  '4.1.2/4.1.2.5@1',
  '4.1.2/4.1.2.2@1',
  '4.1.2/4.1.2.4@1',
  '4.1.2/4.1.2.1@1',
  '4.1.2/4.1.2.7@1',
  '4.1.2/4.1.2.3@1',
  '4.1.2/4.1.2.6@1',
];

/** listInstances and listMetadata, and what new versions of a copy change. */
export function describeListings(open: () => Promise<MetadataIndex>): void {
  describe('on a listed study', () => describeListingScopes(sharedContractContext(open, () => listedStudy())));
  describe('on an index of their own', () => describeListingChanges(contractContext(open)));
}

const listOf =
  (context: Pick<ContractContext, 'index'>) =>
  (scope: ListScope, tenantId = 'radiology') =>
    collect(context.index.listInstances(tenantId, scope));

function describeListingScopes(context: Pick<ContractContext, 'index'>): void {
  const list = listOf(context);

  it.each<[ListScope, string[]]>([
    [{ studyInstanceUid: '4.1', seriesInstanceUid: '4.1.2' }, LISTED_ORDER.slice(1)],
    [{ studyInstanceUid: '4.1', seriesInstanceUid: '4.1.2', sopInstanceUid: '4.1.2.4' }, ['4.1.2/4.1.2.4@1']],
    [{ studyInstanceUid: '4.1', seriesInstanceUid: '4.1.3' }, []],
    [{ studyInstanceUid: '4.2' }, []],
    // A series of another study is not in this one.
    [{ studyInstanceUid: '1.1', seriesInstanceUid: '4.1.2' }, []],
  ])('lists within %j', async (scope, expected) => {
    expect(listed(await list(scope))).toEqual(expected);
    expect(listed((await collect(context.index.listMetadata('radiology', scope))).map((m) => m.instance))).toEqual(
      expected,
    );
  });

  it.each<[string, SearchScope]>([
    ['no study', {}],
    ['a series without its study', { seriesInstanceUid: '4.1.2' }],
    ['an instance without its series', { studyInstanceUid: '4.1', sopInstanceUid: '4.1.2.1' }],
    ['a UID that is none', { studyInstanceUid: '4.1.x' }],
  ])('refuses to list with %s, a QueryError', async (_what, scope) => {
    await expect(collect(context.index.listInstances('radiology', scope as ListScope))).rejects.toThrow(QueryError);
    await expect(collect(context.index.listMetadata('radiology', scope as ListScope))).rejects.toThrow(QueryError);
  });
  it('lists the current copies of a study by series, InstanceNumber (absent last), then SOP Instance UID', async () => {
    const instances = await list({ studyInstanceUid: '4.1' });
    expect(listed(instances)).toEqual(LISTED_ORDER);
    const copy = indexedInstance({ study: '4.1', series: '4.1.2', sop: '4.1.2.4', instanceNumber: 2 });
    expect(instances[3]).toEqual({
      studyInstanceUid: '4.1',
      seriesInstanceUid: '4.1.2',
      sopInstanceUid: '4.1.2.4',
      sopClassUid: CT_IMAGE,
      transferSyntaxUid: copy.transferSyntaxUid,
      version: 1,
      blob: copy.blob,
      attributes: copy.attributes,
    });
  });
}

function describeListingChanges(context: ContractContext): void {
  const list = listOf(context);

  it('lists the metadata of each current copy, its index attributes when it has none', async () => {
    await context.load(listedStudy());
    const listedMetadata = await collect(context.index.listMetadata('radiology', { studyInstanceUid: '4.1' }));
    expect(listedMetadata.map((entry) => entry.instance)).toEqual(await list({ studyInstanceUid: '4.1' }));
    const bySop = new Map(listedMetadata.map((entry) => [entry.instance.sopInstanceUid, entry.metadata]));
    expect(bySop.get('4.1.2.1')).toEqual(metadataOf('4.1.2.1', 1));
    expect(bySop.get('4.1.2.2')).toEqual(
      listedMetadata.find((e) => e.instance.sopInstanceUid === '4.1.2.2')!.instance.attributes,
    );
    expect(bySop.get('4.1.2.2')![tag('InstanceNumber')]).toEqual({ vr: 'IS', Value: [2] });

    // A new version brings its own metadata, or none: the older copy's is not shown for it.
    await context.index.upsertInstance(
      indexedInstance({
        study: '4.1',
        series: '4.1.2',
        sop: '4.1.2.1',
        instanceNumber: 10,
        version: 2,
        metadata: metadataOf('4.1.2.1', 2),
      }),
    );
    await context.index.upsertInstance(
      indexedInstance({
        study: '4.1',
        series: '4.1.2',
        sop: '4.1.2.2',
        instanceNumber: 2,
        version: 2,
        metadata: metadataOf('4.1.2.2', 2),
      }),
    );
    await context.index.upsertInstance(
      indexedInstance({ study: '4.1', series: '4.1.2', sop: '4.1.2.2', instanceNumber: 2, version: 3 }),
    );
    const after = await collect(
      context.index.listMetadata('radiology', { studyInstanceUid: '4.1', seriesInstanceUid: '4.1.2' }),
    );
    const afterBySop = new Map(after.map((entry) => [entry.instance.sopInstanceUid, entry]));
    expect(afterBySop.get('4.1.2.1')!.metadata).toEqual(metadataOf('4.1.2.1', 2));
    expect(afterBySop.get('4.1.2.1')!.instance.version).toBe(2);
    expect(afterBySop.get('4.1.2.2')!.metadata).toEqual(afterBySop.get('4.1.2.2')!.instance.attributes);
    expect(afterBySop.get('4.1.2.2')!.instance.version).toBe(3);
  });

  it('lets the consumer stop a listing half-way', async () => {
    await context.load(listedStudy());
    const seen: string[] = [];
    for await (const instance of context.index.listInstances('radiology', { studyInstanceUid: '4.1' })) {
      seen.push(instance.sopInstanceUid);
      if (seen.length === 2) break;
    }
    for await (const entry of context.index.listMetadata('radiology', { studyInstanceUid: '4.1' })) {
      seen.push(entry.instance.sopInstanceUid);
      break;
    }
    expect(seen).toEqual(['4.1.10.1', '4.1.2.5', '4.1.10.1']);
    // The index goes on.
    expect(await context.index.upsertInstance(indexedInstance({ study: '4.1', series: '4.1.2', sop: '4.1.2.8' }))).toBe(
      'created',
    );
    expect(await list({ studyInstanceUid: '4.1' })).toHaveLength(LISTED_ORDER.length + 1);
  });

  it('lists nothing of another tenant, whatever the UIDs', async () => {
    await context.load(listedStudy());
    await context.load([indexedInstance({ tenantId: 'cardiology', study: '4.1', series: '4.1.2', sop: '4.1.2.99' })]);
    expect(listed(await list({ studyInstanceUid: '4.1' }))).toEqual(LISTED_ORDER);
    expect(listed(await list({ studyInstanceUid: '4.1' }, 'cardiology'))).toEqual(['4.1.2/4.1.2.99@1']);
    const metadata = await collect(context.index.listMetadata('cardiology', { studyInstanceUid: '4.1' }));
    expect(metadata.map((entry) => entry.instance.sopInstanceUid)).toEqual(['4.1.2.99']);
    expect(await list({ studyInstanceUid: '4.1' }, 'oncology')).toEqual([]);
  });

  describe('versions', () => {
    const copy = (sop: string, version: number, more: Partial<InstanceSpec> = {}) =>
      indexedInstance({ study: '6.1', series: '6.1.1', sop, version, ...more });

    it('shows the highest version of a copy, in searches and listings, whatever order the versions come in', async () => {
      await context.load([copy('6.1.1.1', 1), copy('6.1.1.2', 1, { instanceNumber: 2 })]);
      expect(await context.index.upsertInstance(copy('6.1.1.2', 3, { instanceNumber: 50 }))).toBe('created');
      // A late older version is kept but replaces nothing.
      expect(await context.index.upsertInstance(copy('6.1.1.2', 2, { instanceNumber: 20 }))).toBe('created');
      expect(await context.index.upsertInstance(copy('6.1.1.2', 3, { instanceNumber: 50 }))).toBe('unchanged');
      expect(listed(await list({ studyInstanceUid: '6.1' }))).toEqual(['6.1.1/6.1.1.1@1', '6.1.1/6.1.1.2@3']);
      const { results } = await searchWith(context.index, 'instance', { studyInstanceUid: '6.1' }, '');
      expect(sopsOf(results)).toEqual(['6.1.1.1', '6.1.1.2']);
      expect(results[1]![tag('InstanceNumber')]).toEqual({ vr: 'IS', Value: [50] });
      expect(results[1]![tag('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
      expect(results[1]![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
      expect((await searchWith(context.index, 'instance', {}, 'InstanceNumber=20')).results).toEqual([]);
    });

    it('recounts the classes and modalities of a study when a new version changes them', async () => {
      await context.load([copy('6.1.1.1', 1), copy('6.1.1.2', 1)]);
      await context.index.upsertInstance(copy('6.1.1.2', 2, { sopClassUid: MR_IMAGE, modality: 'MR' }));
      const study = async () => (await searchWith(context.index, 'study', {}, 'StudyInstanceUID=6.1')).results[0]!;
      expect((await study())[tag('SOPClassesInStudy')]).toEqual({ vr: 'UI', Value: [CT_IMAGE, MR_IMAGE] });
      expect((await study())[tag('ModalitiesInStudy')]).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
      await context.index.upsertInstance(copy('6.1.1.1', 2, { sopClassUid: MR_IMAGE, modality: 'MR' }));
      expect((await study())[tag('SOPClassesInStudy')]).toEqual({ vr: 'UI', Value: [MR_IMAGE] });
      expect((await study())[tag('ModalitiesInStudy')]).toEqual({ vr: 'CS', Value: ['MR'] });
      expect(sopsOf((await searchWith(context.index, 'instance', {}, `SOPClassUID=${CT_IMAGE}`)).results)).toEqual([]);
      expect(seriesOf((await searchWith(context.index, 'series', {}, 'Modality=MR')).results)).toEqual(['6.1.1']);
    });

    it('moves a copy whose new version is in another series or study', async () => {
      await context.load([copy('6.1.1.1', 1), copy('6.1.1.2', 1)]);
      await context.index.upsertInstance(copy('6.1.1.1', 2, { series: '6.1.2' }));
      const seriesCounts = async (studyInstanceUid: string) =>
        (await searchWith(context.index, 'series', { studyInstanceUid }, '')).results.map((r) => [
          r[tag('SeriesInstanceUID')]!.Value![0],
          r[tag('NumberOfSeriesRelatedInstances')]!.Value![0],
        ]);
      expect(await seriesCounts('6.1')).toEqual([
        ['6.1.1', 1],
        ['6.1.2', 1],
      ]);
      await context.index.upsertInstance(copy('6.1.1.2', 2, { series: '6.1.2' }));
      expect(await seriesCounts('6.1')).toEqual([['6.1.2', 2]]);
      await context.index.upsertInstance(copy('6.1.1.1', 3, { study: '6.2', series: '6.2.1' }));
      expect(await seriesCounts('6.1')).toEqual([['6.1.2', 1]]);
      expect(await seriesCounts('6.2')).toEqual([['6.2.1', 1]]);
      expect(listed(await list({ studyInstanceUid: '6.1' }))).toEqual(['6.1.2/6.1.1.2@2']);
      expect(listed(await list({ studyInstanceUid: '6.2' }))).toEqual(['6.2.1/6.1.1.1@3']);
      const studies = (await searchWith(context.index, 'study', {}, '')).results;
      expect(uidsOf(studies)).toEqual(['6.1', '6.2']);
      expect(studies.map((s) => s[tag('NumberOfStudyRelatedInstances')]!.Value![0])).toEqual([1, 1]);
      // A study left without instances is gone.
      await context.index.upsertInstance(copy('6.1.1.2', 3, { study: '6.2', series: '6.2.1' }));
      expect(uidsOf((await searchWith(context.index, 'study', {}, '')).results)).toEqual(['6.2']);
      expect(await list({ studyInstanceUid: '6.1' })).toEqual([]);
    });
  });
}
