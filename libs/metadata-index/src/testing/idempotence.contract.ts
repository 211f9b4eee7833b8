import { MetadataIndexError } from '../metadata-index.errors';
import type { IndexedInstance, MetadataIndex, SearchLevel } from '../metadata-index.port';
import { contractContext } from './contract-context';
import { collect, indexedInstance, searchWith, uidsOf } from './contract-fixtures';
import { orderedArchive } from './level-search.contract';
import { listedStudy } from './listing.contract';

/** Several versions, some with metadata, in two tenants. */
function history(): IndexedInstance[] {
  return [
    ...orderedArchive(),
    ...listedStudy(),
    ...listedStudy('cardiology'),
    indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 2, instanceNumber: 5, metadata: {} }),
    indexedInstance({ study: '1.1', series: '1.1.3', sop: '1.1.1.2', version: 2, indexedAt: '2024-05-01T10:00:00Z' }),
  ];
}

/** Redeliveries change nothing; bad copies are refused before anything is written. */
export function describeIdempotence(open: () => Promise<MetadataIndex>): void {
  const context = contractContext(open);
  const snapshot = async () => {
    const searches: unknown[] = [];
    for (const level of ['study', 'series', 'instance'] as SearchLevel[]) {
      for (const query of ['', 'PatientID=P1', 'Modality=CT', 'PatientName=m*', 'limit=3&offset=2']) {
        for (const tenantId of ['radiology', 'cardiology']) {
          searches.push(await searchWith(context.index, level, {}, query, tenantId));
        }
      }
    }
    const listings: unknown[] = [];
    for (const tenantId of ['radiology', 'cardiology']) {
      const { results } = await searchWith(context.index, 'study', {}, '', tenantId);
      for (const studyInstanceUid of uidsOf(results).map(String)) {
        listings.push(await collect(context.index.listInstances(tenantId, { studyInstanceUid })));
        listings.push(await collect(context.index.listMetadata(tenantId, { studyInstanceUid })));
      }
    }
    const quiet = await context.index.findQuietStudies('9999-12-31T23:59:59Z', 1000);
    return { searches, listings, quiet };
  };

  it('leaves every search, listing and quiet study as it was when every event comes again', async () => {
    await context.load(history());
    const before = await snapshot();
    // Radiology: 3 + 3 + 1 + 1 + 8 current copies in five studies, cardiology 8; listed twice each.
    expect(before.listings.flat()).toHaveLength(2 * (16 + 8));
    for (const instance of [...history(), ...history().reverse()]) {
      expect(await context.index.upsertInstance(instance)).toBe('unchanged');
    }
    expect(await snapshot()).toEqual(before);
  });

  it.each<[string, Partial<IndexedInstance>]>([
    ['a version of 0', { version: 0 }],
    ['a version that is no integer', { version: 1.5 }],
    ['no tenant', { tenantId: '' }],
    ['a SOP Instance UID that is none', { sopInstanceUid: '1.2.x' }],
    ['a study UID that is none', { studyInstanceUid: '' }],
    ['an indexedAt that is no time', { indexedAt: 'now' }],
  ])('refuses %s with a MetadataIndexError, writing nothing', async (_what, change) => {
    const instance = { ...indexedInstance({ study: '8.1', series: '8.1.1', sop: '8.1.1.1' }), ...change };
    const error = await context.index.upsertInstance(instance).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetadataIndexError);
    expect(error).toMatchObject({ code: 'INVALID_INSTANCE', retriable: false });
    expect((await searchWith(context.index, 'instance', {}, '')).results).toEqual([]);
    expect(await context.index.findQuietStudies('9999-12-31T23:59:59Z', 10)).toEqual([]);
  });
}
