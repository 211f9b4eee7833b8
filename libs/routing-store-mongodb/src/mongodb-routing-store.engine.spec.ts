import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import {
  at,
  claimAt,
  claimOf,
  describeClaimsAcrossProcesses,
  expectStoreError,
  jobSpec,
  runRoutingStoreContract,
  T0,
} from '@pacs/routing-store/testing';
import { engineEnv, uniqueName } from '@pacs/testing';
import { MongoRoutingStore, type MongoRoutingStoreOptions } from './mongodb-routing-store.adapter';

// Against the MongoDB wire-compatible server of the engines (FerretDB in .ci/run). Every test has
// its own collections (a unique prefix) in one database, dropped at the end.
const database = uniqueName('pacs-routing').replace(/[^a-z0-9]/gi, '_');
const prefixes: string[] = [];
afterAll(async () => {
  if (prefixes.length === 0) return;
  const client = new MongoClient(engineEnv('PACS_MONGODB_URL'));
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
});

function newOptions(): MongoRoutingStoreOptions {
  const collectionPrefix = `${uniqueName('r').replace(/[^a-z0-9]/gi, '_')}_`;
  prefixes.push(collectionPrefix);
  return { url: engineEnv('PACS_MONGODB_URL'), database, collectionPrefix, serverSelectionTimeoutMs: 5_000 };
}

async function started(options: MongoRoutingStoreOptions): Promise<MongoRoutingStore> {
  const store = new MongoRoutingStore(options);
  await store.start();
  return store;
}

runRoutingStoreContract('MongoDB (wire-compatible server)', async () => {
  const options = newOptions();
  return { store: await started(options), openAnother: () => started(options) };
});

describe('MongoRoutingStore across processes', () => {
  describeClaimsAcrossProcesses(async () => {
    const options = newOptions();
    return {
      store: await started(options),
      worker: {
        module: join(__dirname, 'mongodb-routing-store.adapter.ts'),
        exportName: 'MongoRoutingStore',
        options: { ...options },
      },
    };
  });
});

describe('MongoRoutingStore', () => {
  it('answers a retriable UNAVAILABLE when the server does not answer', async () => {
    const store = new MongoRoutingStore({
      url: 'mongodb://127.0.0.1:1/',
      database,
      serverSelectionTimeoutMs: 200,
    });
    await expectStoreError(store.start(), 'UNAVAILABLE');
  });

  it('repairs a head that a crash between the two writes of a change left behind', async () => {
    const options = newOptions();
    const store = await started(options);
    const client = new MongoClient(options.url);
    try {
      const jobs = client.db(database).collection(`${options.collectionPrefix}jobs`);
      for (const jobId of ['job-1', 'job-2']) await store.createJob(jobSpec(jobId), T0);
      const [job] = await store.claimDueJobs(claimAt(T0, 'worker-1', { limit: 1 }));
      await store.finishJob(claimOf(job!), { state: 'failed', error: { code: 'X', message: 'x' } }, at(1));
      await store.retryJob('radiology', 'job-1', at(2));
      // As if the retry had crashed before it cleared the flag of the version it replaced.
      expect(await jobs.updateOne({ jobId: 'job-1', state: 'failed' }, { $set: { head: true } })).toMatchObject({
        modifiedCount: 1,
      });
      expect(await jobs.countDocuments({ jobId: 'job-1', head: true })).toBe(2);
      expect(await store.queueStats()).toEqual([
        { tenantId: 'radiology', destinationId: 'archive', pending: 2, running: 0, failed: 0, oldestPendingAt: T0 },
      ]);
      expect((await store.listJobs('radiology', { state: 'failed' }, { limit: 10 })).jobs).toEqual([]);
      const listed = await store.listJobs('radiology', {}, { limit: 1 });
      expect(listed.jobs.map((one) => [one.jobId, one.state])).toEqual([['job-2', 'pending']]);
      const rest = await store.listJobs('radiology', {}, { limit: 1, after: listed.next! });
      expect(rest.jobs.map((one) => [one.jobId, one.state])).toEqual([['job-1', 'pending']]);
      expect(rest.next).toBeUndefined();
      expect(await jobs.countDocuments({ jobId: 'job-1', head: true })).toBe(1);
      expect(await store.getJob('radiology', 'job-1')).toMatchObject({ state: 'pending', attempts: 0 });
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('keeps every version of a job: a change cannot be made twice on one version', async () => {
    const options = newOptions();
    const store = await started(options);
    const client = new MongoClient(options.url);
    try {
      await store.createJob(jobSpec('job-1'), T0);
      const [job] = await store.claimDueJobs(claimAt(T0));
      await store.renewLease(claimOf(job!), at(60));
      await store.finishJob(claimOf(job!), { state: 'completed' }, at(61));
      const versions = await client
        .db(database)
        .collection(`${options.collectionPrefix}jobs`)
        .find({ jobId: 'job-1' }, { projection: { _id: 0, version: 1, head: 1, state: 1 } })
        .sort({ version: 1 })
        .toArray();
      expect(versions).toEqual([
        { version: 1, head: false, state: 'pending' },
        { version: 2, head: false, state: 'running' },
        { version: 3, head: false, state: 'running' },
        { version: 4, head: true, state: 'completed' },
      ]);
    } finally {
      await client.close();
      await store.close();
    }
  });
});
