import { MongoClient } from 'mongodb';
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

runMetadataIndexContract('MongoDB (wire-compatible server)', async () => {
  const index = new MongoMetadataIndex({
    url: engineEnv('PACS_MONGODB_URL'),
    database: uniqueName('pacs-index').replace(/[^a-z0-9]/gi, '_'),
    serverSelectionTimeoutMs: 5_000,
  });
  await index.start();
  opened.push(index);
  return index;
});

describe('MongoMetadataIndex without transactions', () => {
  it('rebuilds a study record that a crash after the instance write left missing, when the event comes again', async () => {
    const database = uniqueName('pacs-index-heal').replace(/[^a-z0-9]/gi, '_');
    const index = new MongoMetadataIndex({
      url: engineEnv('PACS_MONGODB_URL'),
      database,
      serverSelectionTimeoutMs: 5_000,
    });
    await index.start();
    opened.push(index);
    const copy = indexedInstance({ study: '5.1', series: '5.1.1', sop: '5.1.1.1', patientId: 'P5' });
    expect(await index.upsertInstance(copy)).toBe('created');
    // The crash: the instance is there, its study record is not.
    const client = new MongoClient(engineEnv('PACS_MONGODB_URL'));
    try {
      await client.db(database).collection('studies').deleteMany({});
    } finally {
      await client.close();
    }
    expect((await index.searchStudies('radiology', [])).results).toEqual([]);
    expect(await index.upsertInstance(copy)).toBe('unchanged');
    const { results } = await index.searchStudies('radiology', []);
    expect(results).toHaveLength(1);
    expect(results[0]!['00201208']).toEqual({ vr: 'IS', Value: [1] });
    expect(results[0]!['00100020']).toEqual({ vr: 'LO', Value: ['P5'] });
  });
});
