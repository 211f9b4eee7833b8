import { MongoClient, MongoServerError } from 'mongodb';
import { engineEnv, uniqueName } from '@pacs/testing';

// The metadata index's distributed adapter (libs/metadata-index-mongodb) talks to a MongoDB
// wire-compatible server through the official driver. This checks, against the real server
// (FerretDB here), the driver operations it relies on, using only what both MongoDB and FerretDB
// support; the adapter's own contract suite runs in its engine spec.
describe('MongoDB driver against the MongoDB wire-compatible server', () => {
  let client: MongoClient;
  const dbName = uniqueName('pacs-conn').replace(/[^a-z0-9]/gi, '_');

  beforeAll(async () => {
    client = new MongoClient(engineEnv('PACS_MONGODB_URL'), { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
  });

  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
  });

  it('answers ping', async () => {
    expect(await client.db(dbName).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('inserts, indexes, queries with filter/sort/limit, upserts and deletes', async () => {
    const studies = client
      .db(dbName)
      .collection<{
        tenantId: string;
        studyInstanceUid: string;
        patientId: string;
        studyDate: string;
        instances: number;
      }>('studies');
    await studies.createIndex({ tenantId: 1, studyInstanceUid: 1 }, { unique: true });
    await studies.createIndex({ tenantId: 1, patientId: 1, studyDate: -1 });
    await studies.insertMany([
      { tenantId: 'radiology', studyInstanceUid: '1.2.1', patientId: 'P1', studyDate: '20260101', instances: 10 },
      { tenantId: 'radiology', studyInstanceUid: '1.2.2', patientId: 'P1', studyDate: '20260301', instances: 5 },
      { tenantId: 'cardiology', studyInstanceUid: '1.2.3', patientId: 'P1', studyDate: '20260201', instances: 7 },
    ]);

    const found = await studies
      .find({ tenantId: 'radiology', patientId: 'P1', studyDate: { $gte: '20260101', $lte: '20261231' } })
      .sort({ studyDate: -1 })
      .limit(1)
      .toArray();
    expect(found.map((s) => s.studyInstanceUid)).toEqual(['1.2.2']);

    await studies.updateOne({ tenantId: 'radiology', studyInstanceUid: '1.2.2' }, { $inc: { instances: 1 } });
    await studies.updateOne(
      { tenantId: 'radiology', studyInstanceUid: '1.2.4' },
      { $setOnInsert: { patientId: 'P2', studyDate: '20260401', instances: 1 } },
      { upsert: true },
    );
    expect(await studies.countDocuments({ tenantId: 'radiology' })).toBe(3);
    expect((await studies.findOne({ studyInstanceUid: '1.2.2' }))?.instances).toBe(6);

    await expect(
      studies.insertOne({
        tenantId: 'radiology',
        studyInstanceUid: '1.2.1',
        patientId: 'X',
        studyDate: '20260101',
        instances: 0,
      }),
    ).rejects.toBeInstanceOf(MongoServerError);

    expect((await studies.deleteMany({ tenantId: 'cardiology' })).deletedCount).toBe(1);
    expect(await studies.countDocuments({})).toBe(3);
  });

  it('fails fast on a server that is not there', async () => {
    const absent = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 1_000 });
    await expect(absent.connect()).rejects.toThrow();
    await absent.close();
  });
});
