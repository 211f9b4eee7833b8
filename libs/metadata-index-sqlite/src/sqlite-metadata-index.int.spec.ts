import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { GroupSync } from '@pacs/event-bus';
import type { DicomJsonDataset } from '@pacs/dicom';
import { indexedInstance, runMetadataIndexContract } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from './sqlite-metadata-index.adapter';

const root = mkdtempSync(join(tmpdir(), 'pacs-metadata-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

// Listings read 3 copies at a time, so that the contract's listings span several batches.
runMetadataIndexContract('SQLite', async () => {
  const index = new SqliteMetadataIndex({ file: join(root, `index-${++counter}.db`), listBatchSize: 3 });
  await index.start();
  return index;
});

describe('SqliteMetadataIndex extra attributes', () => {
  it('keeps the lists, the extras of each copy and the jobs progress across a restart', async () => {
    const file = join(root, `index-${++counter}.db`);
    const copy = indexedInstance({
      study: '7.1',
      series: '7.1.1',
      sop: '7.1.1.1',
      metadata: { '00181030': { vr: 'LO', Value: ['ABD ROUTINE'] } },
    });
    const first = new SqliteMetadataIndex({ file });
    await first.start();
    const { job } = await first.setExtraAttributes('radiology', [{ attribute: 'ProtocolName', level: 'series' }]);
    await first.upsertInstance(copy);
    const progress = { batch: 1, cursor: '7.1.1.1', done: 1, total: 1, errorCount: 0, errors: [], finished: false };
    expect(await first.recordReindexProgress('radiology', job.id, progress)).toBe(true);
    const before = await first.search('radiology', 'series', {}, []);
    await first.close();
    const again = new SqliteMetadataIndex({ file });
    await again.start();
    try {
      expect((await again.getExtraAttributes('radiology')).attributes.map((a) => a.keyword)).toEqual(['ProtocolName']);
      expect(await again.search('radiology', 'series', {}, [])).toEqual(before);
      expect(before.results[0]!['00181030']).toEqual({ vr: 'LO', Value: ['ABD ROUTINE'] });
      expect(await again.getReindexJob('radiology', job.id)).toMatchObject({ state: 'running', cursor: '7.1.1.1' });
      expect(await again.recordReindexProgress('radiology', job.id, progress)).toBe(false);
    } finally {
      await again.close();
    }
  });
});

describe('SqliteMetadataIndex batches', () => {
  let index: SqliteMetadataIndex;
  beforeEach(async () => {
    index = new SqliteMetadataIndex({ file: join(root, `index-${++counter}.db`) });
    await index.start();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await index.close();
  });
  const copy = (sop: string, more: { version?: number; instanceNumber?: number } = {}) =>
    indexedInstance({ study: '3.1', series: '3.1.1', sop, ...more });

  it('writes a batch in one transaction and resolves after one sync of the WAL', async () => {
    const exec = jest.spyOn(DatabaseSync.prototype, 'exec');
    const sync = jest.spyOn(GroupSync.prototype, 'sync');
    const batch = Array.from({ length: 50 }, (_, i) => copy(`3.1.1.${i + 1}`));
    expect(await index.upsertInstances([...batch, batch[0]!])).toHaveLength(51);
    expect(exec.mock.calls.map(([sql]) => sql)).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
    expect(sync).toHaveBeenCalledTimes(1);
    expect((await index.search('radiology', 'instance', {}, [])).results).toHaveLength(50);
  });

  it('rolls the whole batch back when a write fails part-way, and goes on', async () => {
    await index.upsertInstance(copy('3.1.1.1'));
    const before = await index.search('radiology', 'instance', {}, []);
    // Valid for checkIndexedInstance, but its attributes cannot be written (JSON has no BigInt).
    const unwritable = copy('3.1.1.9');
    const attributes = { ...unwritable.attributes, '00280010': { vr: 'US', Value: [BigInt(512)] } };
    const batch = [
      copy('3.1.1.2'),
      copy('3.1.1.1', { version: 2, instanceNumber: 7 }),
      { ...unwritable, attributes: attributes as unknown as DicomJsonDataset },
    ];
    await expect(index.upsertInstances(batch)).rejects.toThrow(TypeError);
    expect(await index.search('radiology', 'instance', {}, [])).toEqual(before);
    expect(await index.upsertInstances(batch.slice(0, 2))).toEqual(['created', 'created']);
    expect((await index.search('radiology', 'instance', {}, [])).results).toHaveLength(2);
  });
});
