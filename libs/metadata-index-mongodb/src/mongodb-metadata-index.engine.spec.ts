import { MongoClient } from 'mongodb';
import type { SearchLevel } from '@pacs/metadata-index';
import { indexedInstance, runMetadataIndexContract } from '@pacs/metadata-index/testing';
import { engineEnv, uniqueName } from '@pacs/testing';
import { MongoMetadataIndex } from './mongodb-metadata-index.adapter';

// Against the MongoDB wire-compatible server of the engines (FerretDB in .ci/run).
const opened: MongoMetadataIndex[] = [];
afterAll(async () => {
  for (const index of opened) {
    await index.start();
    await index.drop();
    await index.close();
  }
});

async function openIndex(name: string): Promise<{ index: MongoMetadataIndex; database: string }> {
  const database = uniqueName(name).replace(/[^a-z0-9]/gi, '_');
  // Listings read 3 copies at a time, so that the contract's listings span several batches.
  const index = new MongoMetadataIndex({
    url: engineEnv('PACS_MONGODB_URL'),
    database,
    serverSelectionTimeoutMs: 5_000,
    listBatchSize: 3,
  });
  await index.start();
  opened.push(index);
  return { index, database };
}

runMetadataIndexContract('MongoDB (wire-compatible server)', async () => (await openIndex('pacs-index')).index);

describe('MongoMetadataIndex without transactions', () => {
  /** Deletes what a crash after the first writes of an upsert would not have written. */
  async function crash(database: string, collections: readonly string[]): Promise<void> {
    const client = new MongoClient(engineEnv('PACS_MONGODB_URL'));
    try {
      for (const collection of collections) await client.db(database).collection(collection).deleteMany({});
    } finally {
      await client.close();
    }
  }

  const copies = () => [
    indexedInstance({ study: '5.1', series: '5.1.1', sop: '5.1.1.1', patientId: 'P5' }),
    indexedInstance({ study: '5.1', series: '5.1.2', sop: '5.1.2.1', patientId: 'P5', modality: 'MR' }),
  ];

  it('rebuilds a study record that a crash after the instance write left missing, when the event comes again', async () => {
    const { index, database } = await openIndex('pacs-index-heal');
    const copy = indexedInstance({ study: '5.1', series: '5.1.1', sop: '5.1.1.1', patientId: 'P5' });
    expect(await index.upsertInstance(copy)).toBe('created');
    await crash(database, ['studies']);
    expect((await index.searchStudies('radiology', [])).results).toEqual([]);
    expect(await index.upsertInstance(copy)).toBe('unchanged');
    const { results } = await index.searchStudies('radiology', []);
    expect(results).toHaveLength(1);
    expect(results[0]!['00201208']).toEqual({ vr: 'IS', Value: [1] });
    expect(results[0]!['00100020']).toEqual({ vr: 'LO', Value: ['P5'] });
  });

  it.each([
    ['the copy', ['currentInstances', 'series', 'studies']],
    ['the current copy', ['series', 'studies']],
    ['the series', ['studies']],
  ])('heals every level when the events come again after a crash after writing %s', async (_what, lost) => {
    const { index, database } = await openIndex('pacs-index-heal');
    const search = async () => {
      const records: unknown[] = [];
      for (const level of ['study', 'series', 'instance'] as SearchLevel[]) {
        records.push((await index.search('radiology', level, {}, [])).results);
      }
      return records;
    };
    for (const copy of copies()) await index.upsertInstance(copy);
    const before = await search();
    const [quiet] = await index.findQuietStudies('9999-01-01T00:00:00Z', 10);
    await crash(database, lost);
    for (const copy of copies()) expect(await index.upsertInstance(copy)).toBe('unchanged');
    expect(await search()).toEqual(before);
    const listed = [];
    for await (const instance of index.listInstances('radiology', { studyInstanceUid: '5.1' })) listed.push(instance);
    expect(listed.map((instance) => instance.sopInstanceUid)).toEqual(['5.1.1.1', '5.1.2.1']);
    // The study healed is pending again as of its copies' activity.
    expect(await index.findQuietStudies('9999-01-01T00:00:00Z', 10)).toEqual([quiet]);
  });
});

describe('MongoMetadataIndex extra attributes', () => {
  const described = (sop: string, indexedAt: string) =>
    indexedInstance({
      study: '7.1',
      series: '7.1.1',
      sop,
      indexedAt,
      metadata: {
        '00080080': { vr: 'LO', Value: [`institution of ${sop}`] },
        '00181030': { vr: 'LO', Value: [`protocol of ${sop}`] },
      },
    });
  const extras = [
    { attribute: 'InstitutionName', level: 'study' },
    { attribute: 'ProtocolName', level: 'series' },
  ];

  it('keeps the lists, the extras of each copy and the jobs progress for another connection', async () => {
    const { index, database } = await openIndex('pacs-index-extras');
    const { job } = await index.setExtraAttributes('radiology', extras);
    await index.upsertInstance(described('7.1.1.1', '2024-01-01T00:00:00Z'));
    const progress = { batch: 1, cursor: '7.1.1.1', done: 1, total: 1, errorCount: 0, errors: [], finished: false };
    expect(await index.recordReindexProgress('radiology', job.id, progress)).toBe(true);
    const before = await index.search('radiology', 'series', {}, []);
    expect(before.results[0]!['00181030']).toEqual({ vr: 'LO', Value: ['protocol of 7.1.1.1'] });
    const again = new MongoMetadataIndex({ url: engineEnv('PACS_MONGODB_URL'), database });
    await again.start();
    try {
      expect(await again.getExtraAttributes('radiology')).toEqual(await index.getExtraAttributes('radiology'));
      expect(await again.search('radiology', 'series', {}, [])).toEqual(before);
      expect(await again.getReindexJob('radiology', job.id)).toMatchObject({ state: 'running', cursor: '7.1.1.1' });
      expect(await again.recordReindexProgress('radiology', job.id, progress)).toBe(false);
    } finally {
      await again.close();
    }
  });

  it('gives series and studies written before they named their latest copy the extras of that copy', async () => {
    const { index, database } = await openIndex('pacs-index-extras');
    await index.setExtraAttributes('radiology', extras);
    await index.upsertInstance(described('7.1.1.1', '2024-01-01T00:00:00Z'));
    await index.upsertInstance(described('7.1.1.2', '2024-01-02T00:00:00Z'));
    const client = new MongoClient(engineEnv('PACS_MONGODB_URL'));
    try {
      for (const collection of ['series', 'studies']) {
        await client
          .db(database)
          .collection(collection)
          .updateMany({}, { $unset: { latestSop: '', latestVersion: '' } });
      }
    } finally {
      await client.close();
    }
    const [series] = (await index.search('radiology', 'series', {}, [])).results;
    expect(series!['00080080']).toEqual({ vr: 'LO', Value: ['institution of 7.1.1.2'] });
    expect(series!['00181030']).toEqual({ vr: 'LO', Value: ['protocol of 7.1.1.2'] });
  });

  it('gives lists set at once each its own generation', async () => {
    const { index } = await openIndex('pacs-index-extras');
    const set = await Promise.all([1, 2, 3].map(() => index.setExtraAttributes('radiology', extras)));
    expect(set.map(({ extras: list }) => list.generation).sort()).toEqual([1, 2, 3]);
    expect((await index.getExtraAttributes('radiology')).generation).toBe(3);
  });
});
