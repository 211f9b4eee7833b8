import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { GroupSync } from '@pacs/event-bus';
import {
  claimAt,
  claimOf,
  describeClaimsAcrossProcesses,
  expectStoreError,
  jobSpec,
  runRoutingStoreContract,
  T0,
} from '@pacs/routing-store/testing';
import { SqliteRoutingStore } from './sqlite-routing-store.adapter';

const root = mkdtempSync(join(tmpdir(), 'pacs-routing-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const newFile = () => join(root, `${++counter}`, 'routing.sqlite');

async function started(file: string, busyTimeoutMs?: number): Promise<SqliteRoutingStore> {
  const store = new SqliteRoutingStore({ file, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
  await store.start();
  return store;
}

runRoutingStoreContract('SQLite', async () => {
  const file = newFile();
  return { store: await started(file), openAnother: () => started(file) };
});

describe('SqliteRoutingStore across processes', () => {
  describeClaimsAcrossProcesses(async () => {
    const file = newFile();
    return {
      store: await started(file),
      worker: {
        module: join(__dirname, 'sqlite-routing-store.adapter.ts'),
        exportName: 'SqliteRoutingStore',
        options: { file },
      },
    };
  });
});

describe('SqliteRoutingStore', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes in one immediate transaction and resolves after a sync of the WAL', async () => {
    const store = await started(newFile());
    try {
      const exec = jest.spyOn(DatabaseSync.prototype, 'exec');
      const sync = jest.spyOn(GroupSync.prototype, 'sync');
      for (let i = 0; i < 5; i++) await store.createJob(jobSpec(`job-${i}`), T0);
      expect(await store.claimDueJobs(claimAt(T0, 'worker-1', { limit: 5 }))).toHaveLength(5);
      expect(exec.mock.calls.map(([sql]) => sql)).toEqual(Array(6).fill(['BEGIN IMMEDIATE', 'COMMIT']).flat());
      expect(sync).toHaveBeenCalledTimes(6);
    } finally {
      await store.close();
    }
  });

  it('keeps everything across a restart', async () => {
    const file = newFile();
    const first = await started(file);
    await first.saveConfig('radiology', { destinations: [{ id: 'archive' }], rules: [] }, 0, T0);
    await first.createJob(jobSpec('job-1'), T0);
    const [job] = await first.claimDueJobs(claimAt(T0));
    await first.confirmInstances(claimOf(job!), ['1.2.840.1.1.1']);
    const before = await first.getJob('radiology', 'job-1');
    await first.close();
    const again = await started(file);
    try {
      expect(await again.getJob('radiology', 'job-1')).toEqual(before);
      expect((await again.getConfig('radiology')).revision).toBe(1);
      expect(await again.finishJob(claimOf(job!), { state: 'completed' }, T0)).toBe(true);
    } finally {
      await again.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const file = newFile();
    await (await started(file)).close();
    const db = new DatabaseSync(file);
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expectStoreError(started(file), 'SCHEMA_TOO_NEW');
  });

  it('answers a retriable UNAVAILABLE when another connection holds the write lock too long', async () => {
    const file = newFile();
    const store = await started(file, 50);
    const blocker = new DatabaseSync(file);
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await expectStoreError(store.createJob(jobSpec('job-1'), T0), 'UNAVAILABLE');
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(await store.createJob(jobSpec('job-1'), T0)).toBe('created');
    expect(await store.isHealthy()).toBe(true);
    await store.close();
    expect(await store.isHealthy()).toBe(false);
  });
});
