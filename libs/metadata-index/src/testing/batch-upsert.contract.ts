import { MetadataIndexError } from '../metadata-index.errors';
import type { IndexedInstance, MetadataIndex, SearchLevel, UpsertOutcome } from '../metadata-index.port';
import { contractContext } from './contract-context';
import {
  archive,
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
import { orderedArchive } from './level-search.contract';
import { listedStudy } from './listing.contract';

const TENANTS = ['radiology', 'cardiology'];
const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

/**
 * Copies of two tenants and several studies, each indexed at its own minute (so that two indexes
 * given them agree on every study's activity): new versions that move a copy to another series or
 * study, a late older version, and redeliveries of copies earlier in the list.
 */
function busyBatch(): IndexedInstance[] {
  const copies = [
    ...orderedArchive(),
    ...listedStudy(),
    ...listedStudy('cardiology'),
    indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 3, instanceNumber: 5, metadata: {} }),
    indexedInstance({ study: '1.1', series: '1.1.3', sop: '1.1.1.2', version: 2 }),
    indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 2, instanceNumber: 4 }),
    indexedInstance({ study: '1.2', series: '1.2.1', sop: '1.3.1.1', version: 2, patientId: 'P2' }),
  ].map((copy, minute) => ({ ...copy, indexedAt: at(minute) }));
  // Redelivered, the last with another indexedAt (an event built again): the same copy all the same.
  return [...copies, copies[0]!, copies[9]!, { ...copies[4]!, indexedAt: at(59) }];
}

/** What readers of the index see of both tenants: searches of every level, listings, quiet studies. */
async function snapshotOf(index: MetadataIndex) {
  const searches: unknown[] = [];
  const listings: unknown[] = [];
  for (const tenantId of TENANTS) {
    for (const level of ['study', 'series', 'instance'] as SearchLevel[]) {
      for (const query of ['', 'PatientID=P1', 'Modality=MR', 'InstanceNumber=4', 'limit=3&offset=2']) {
        searches.push(await searchWith(index, level, {}, query, tenantId));
      }
    }
    const { results } = await searchWith(index, 'study', {}, '', tenantId);
    for (const studyInstanceUid of uidsOf(results).map(String)) {
      listings.push(await collect(index.listInstances(tenantId, { studyInstanceUid })));
      listings.push(await collect(index.listMetadata(tenantId, { studyInstanceUid })));
    }
  }
  const quiet = await index.findQuietStudies('9999-12-31T23:59:59Z', 1000);
  return { searches, listings, quiet };
}

/** upsertInstances: the same as upsertInstance of each in order, all or nothing for bad input. */
export function describeBatchUpsert(open: () => Promise<MetadataIndex>): void {
  const context = contractContext(open);

  /** Upserts the copies one by one into an index of its own; what they gave, and what it holds. */
  async function oneByOne(copies: readonly IndexedInstance[], before: readonly IndexedInstance[] = []) {
    const reference = await open();
    try {
      for (const copy of before) await reference.upsertInstance(copy);
      const outcomes: UpsertOutcome[] = [];
      for (const copy of copies) outcomes.push(await reference.upsertInstance(copy));
      return { outcomes, snapshot: await snapshotOf(reference) };
    } finally {
      await reference.close();
    }
  }

  it('gives the outcomes, searches, listings and quiet studies that upserting one by one gives', async () => {
    const expected = await oneByOne(busyBatch());
    // The batch's three redeliveries, and nothing else, are unchanged.
    expect(expected.outcomes.filter((outcome) => outcome === 'unchanged')).toHaveLength(3);
    expect(await context.index.upsertInstances(busyBatch())).toEqual(expected.outcomes);
    expect(await snapshotOf(context.index)).toEqual(expected.snapshot);
    expect(uidsOf((await searchWith(context.index, 'study', {}, '')).results)).toEqual(['1.1', '1.10', '1.2', '4.1']);
  });

  it('gives the same on an index that holds copies already, redelivered ones unchanged', async () => {
    const [first, second] = [busyBatch().slice(0, 12), busyBatch().slice(12)];
    const again = [...second, ...first];
    const expected = await oneByOne(again, first);
    await context.load(first);
    const outcomes = await context.index.upsertInstances(again);
    expect(outcomes).toEqual(expected.outcomes);
    expect(outcomes.slice(second.length)).toEqual(first.map(() => 'unchanged'));
    expect(await snapshotOf(context.index)).toEqual(expected.snapshot);
    // A batch of nothing but redeliveries changes nothing.
    expect(await context.index.upsertInstances(first)).toEqual(first.map(() => 'unchanged'));
    expect(await snapshotOf(context.index)).toEqual(expected.snapshot);
  });

  it('keeps the same copy twice and several versions of one within a batch apart, as one by one', async () => {
    const copy = (sop: string, version: number, more: Partial<InstanceSpec> = {}) =>
      indexedInstance({ study: '6.1', series: '6.1.1', sop, version, ...more });
    const batch = [
      copy('6.1.1.1', 1),
      copy('6.1.1.2', 3, { instanceNumber: 50, metadata: { [tag('Rows')]: { vr: 'US', Value: [512] } } }),
      copy('6.1.1.1', 1),
      // A late older version: kept, current of nothing.
      copy('6.1.1.2', 2, { instanceNumber: 20 }),
      copy('6.1.1.1', 2, { series: '6.1.2', modality: 'MR', sopClassUid: MR_IMAGE }),
      copy('6.1.1.2', 3, { instanceNumber: 50 }),
    ];
    expect(await context.index.upsertInstances(batch)).toEqual([
      'created',
      'created',
      'unchanged',
      'created',
      'created',
      'unchanged',
    ]);
    expect(listed(await collect(context.index.listInstances('radiology', { studyInstanceUid: '6.1' })))).toEqual([
      '6.1.1/6.1.1.2@3',
      '6.1.2/6.1.1.1@2',
    ]);
    const metadata = await collect(context.index.listMetadata('radiology', { studyInstanceUid: '6.1' }));
    expect(metadata[0]!.metadata).toEqual({ [tag('Rows')]: { vr: 'US', Value: [512] } });
    const { results } = await searchWith(context.index, 'instance', {}, '');
    expect(sopsOf(results)).toEqual(['6.1.1.2', '6.1.1.1']);
    expect(results[0]![tag('InstanceNumber')]).toEqual({ vr: 'IS', Value: [50] });
    expect(results.map((r) => r[tag('NumberOfSeriesRelatedInstances')])).toEqual([
      { vr: 'IS', Value: [1] },
      { vr: 'IS', Value: [1] },
    ]);
    expect((await searchWith(context.index, 'instance', {}, 'InstanceNumber=20')).results).toEqual([]);
    expect(await context.index.upsertInstances(batch)).toEqual(batch.map(() => 'unchanged'));
  });

  it('resolves an empty batch to none, changing nothing', async () => {
    await context.load(archive());
    const before = await snapshotOf(context.index);
    expect(await context.index.upsertInstances([])).toEqual([]);
    expect(await snapshotOf(context.index)).toEqual(before);
  });

  it.each<[string, number, Partial<IndexedInstance>]>([
    ['an empty SOP Instance UID', 0, { sopInstanceUid: '' }],
    ['a version of 0', 2, { version: 0 }],
    ['no tenant', 4, { tenantId: '' }],
    ['a series UID that is none', 4, { seriesInstanceUid: '1.x' }],
    ['an indexedAt that is no time', 1, { indexedAt: 'yesterday' }],
  ])(
    'refuses a batch with %s (at %i) as upsertInstance refuses it, writing none of it',
    async (_what, position, change) => {
      await context.load(archive());
      const before = await snapshotOf(context.index);
      const valid = [
        indexedInstance({ study: '8.1', series: '8.1.1', sop: '8.1.1.1' }),
        indexedInstance({ study: '8.1', series: '8.1.2', sop: '8.1.2.1', modality: 'MR', sopClassUid: MR_IMAGE }),
        indexedInstance({ tenantId: 'cardiology', study: '8.2', series: '8.2.1', sop: '8.2.1.1' }),
        // A new version of a copy the index holds: it must stay the current one.
        indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 2, instanceNumber: 99 }),
      ];
      const invalid = { ...indexedInstance({ study: '8.1', series: '8.1.1', sop: '8.1.1.9' }), ...change };
      const expected = await context.index.upsertInstance(invalid).catch((e: unknown) => e);
      expect(expected).toBeInstanceOf(MetadataIndexError);
      const batch = [...valid.slice(0, position), invalid, ...valid.slice(position)];
      const error = await context.index.upsertInstances(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MetadataIndexError);
      const { code, message } = expected as MetadataIndexError;
      expect(error).toMatchObject({ code, message, retriable: false });
      expect(code).toBe('INVALID_INSTANCE');
      for (const tenantId of TENANTS) {
        const { results } = await searchWith(context.index, 'instance', {}, 'StudyInstanceUID=8.1,8.2', tenantId);
        expect(results).toEqual([]);
      }
      expect((await searchWith(context.index, 'instance', {}, 'InstanceNumber=99')).results).toEqual([]);
      expect(await snapshotOf(context.index)).toEqual(before);
    },
  );

  it('names the first invalid copy of a batch', async () => {
    const copy = (sop: string) => indexedInstance({ study: '8.1', series: '8.1.1', sop });
    const first = { ...copy('8.1.1.2'), version: 0 };
    const expected = (await context.index.upsertInstance(first).catch((e: unknown) => e)) as MetadataIndexError;
    const batch = [copy('8.1.1.1'), first, { ...copy('8.1.1.3'), tenantId: '' }];
    await expect(context.index.upsertInstances(batch)).rejects.toMatchObject({ message: expected.message });
    expect((await searchWith(context.index, 'instance', {}, '')).results).toEqual([]);
  });

  it('keeps tenants apart in a batch that mixes them, with the same UIDs in both', async () => {
    const radiology = [...archive(), ...listedStudy()];
    const cardiology = [
      ...listedStudy('cardiology'),
      indexedInstance({ tenantId: 'cardiology', study: '9.1', series: '9.1.1', sop: '9.1.1.1', patientId: 'P9' }),
      // Same UIDs as a radiology copy, another patient.
      indexedInstance({ tenantId: 'cardiology', study: '1.1', series: '1.1.1', sop: '1.1.1.1', patientId: 'P8' }),
    ];
    // Interleaved: every other copy is of the other tenant.
    const batch = radiology.flatMap((copy, i) => [copy, ...(cardiology[i] ? [cardiology[i]] : [])]);
    expect(batch).toHaveLength(radiology.length + cardiology.length);
    expect(await context.index.upsertInstances(batch)).toEqual(batch.map(() => 'created'));
    const studies = async (tenantId: string, query = '') =>
      (await searchWith(context.index, 'study', {}, query, tenantId)).results;
    expect(uidsOf(await studies('radiology'))).toEqual(['1.1', '1.2', '1.3', '4.1']);
    expect(uidsOf(await studies('cardiology'))).toEqual(['1.1', '4.1', '9.1']);
    expect(await studies('oncology')).toEqual([]);
    for (const tenantId of TENANTS) {
      const [study] = await studies(tenantId, 'StudyInstanceUID=4.1');
      expect(study![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [8] });
      expect(await collect(context.index.listInstances(tenantId, { studyInstanceUid: '4.1' }))).toHaveLength(8);
    }
    expect(uidsOf(await studies('radiology', 'PatientID=P9'))).toEqual([]);
    expect(uidsOf(await studies('cardiology', 'PatientID=P8'))).toEqual(['1.1']);
    const [cardiologyStudy] = await studies('cardiology', 'StudyInstanceUID=1.1');
    expect(cardiologyStudy![tag('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
    expect(await collect(context.index.listInstances('radiology', { studyInstanceUid: '9.1' }))).toEqual([]);
    const quiet = await context.index.findQuietStudies('9999-12-31T23:59:59Z', 100);
    expect(quiet.map((study) => `${study.tenantId}/${study.studyInstanceUid}`).sort()).toEqual([
      'cardiology/1.1',
      'cardiology/4.1',
      'cardiology/9.1',
      'radiology/1.1',
      'radiology/1.2',
      'radiology/1.3',
      'radiology/4.1',
    ]);
  });

  it('gives the studies and series their counts, modalities, classes and activity right after a batch', async () => {
    const copy = (study: string, series: string, sop: string, minute: number, more: Partial<InstanceSpec> = {}) =>
      indexedInstance({ study, series, sop, indexedAt: at(minute), ...more });
    const mr = { modality: 'MR', sopClassUid: MR_IMAGE };
    const studyOf = async (uid: string) =>
      (await searchWith(context.index, 'study', {}, `StudyInstanceUID=${uid}`)).results[0]!;
    const seriesCounts = async (studyInstanceUid: string) =>
      (await searchWith(context.index, 'series', { studyInstanceUid }, '')).results.map((r) => [
        seriesOf([r])[0],
        r[tag('NumberOfSeriesRelatedInstances')]!.Value![0],
      ]);
    const aggregates = async (uid: string) => {
      const study = await studyOf(uid);
      return [
        'NumberOfStudyRelatedSeries',
        'NumberOfStudyRelatedInstances',
        'ModalitiesInStudy',
        'SOPClassesInStudy',
      ].map((keyword) => study[tag(keyword)]?.Value);
    };

    await context.index.upsertInstances([
      copy('7.1', '7.1.1', '7.1.1.1', 1),
      copy('7.2', '7.2.1', '7.2.1.1', 4),
      copy('7.1', '7.1.1', '7.1.1.2', 3),
      copy('7.1', '7.1.2', '7.1.2.1', 2, mr),
      // Redelivered later: counts once, and is no new activity.
      copy('7.1', '7.1.1', '7.1.1.1', 9),
    ]);
    expect(await aggregates('7.1')).toEqual([[2], [3], ['CT', 'MR'], [CT_IMAGE, MR_IMAGE]]);
    expect(await aggregates('7.2')).toEqual([[1], [1], ['CT'], [CT_IMAGE]]);
    expect(await seriesCounts('7.1')).toEqual([
      ['7.1.1', 2],
      ['7.1.2', 1],
    ]);
    expect(await context.index.findQuietStudies(at(59), 10)).toEqual([
      { tenantId: 'radiology', studyInstanceUid: '7.1', seriesCount: 2, instanceCount: 3, lastActivityAt: at(3) },
      { tenantId: 'radiology', studyInstanceUid: '7.2', seriesCount: 1, instanceCount: 1, lastActivityAt: at(4) },
    ]);

    // Both CT copies move to the MR series in new versions, and the series gains a copy.
    await context.index.upsertInstances([
      copy('7.1', '7.1.2', '7.1.1.1', 10, { ...mr, version: 2 }),
      copy('7.1', '7.1.2', '7.1.2.2', 12, mr),
      copy('7.1', '7.1.2', '7.1.1.2', 11, { ...mr, version: 2 }),
    ]);
    expect(await aggregates('7.1')).toEqual([[1], [4], ['MR'], [MR_IMAGE]]);
    expect(await seriesCounts('7.1')).toEqual([['7.1.2', 4]]);
    expect(await context.index.findQuietStudies(at(59), 10)).toEqual([
      { tenantId: 'radiology', studyInstanceUid: '7.2', seriesCount: 1, instanceCount: 1, lastActivityAt: at(4) },
      { tenantId: 'radiology', studyInstanceUid: '7.1', seriesCount: 1, instanceCount: 4, lastActivityAt: at(12) },
    ]);
  });
}
