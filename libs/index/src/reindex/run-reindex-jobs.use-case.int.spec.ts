import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsBlobStore } from '@pacs/blob-store-fs';
import { formatTag, tagOf } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import type { IndexedInstance, MetadataIndex } from '@pacs/metadata-index';
import { indexedInstance } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import { InstanceMetadataReader } from '../metadata/instance-metadata.reader';
import { RunReindexJobsUseCase, type ReindexIndex } from './run-reindex-jobs.use-case';

const key = (keyword: string) => formatTag(tagOf(keyword));
const PROTOCOL = [{ attribute: 'ProtocolName', level: 'series' }];

describe('RunReindexJobsUseCase', () => {
  let dir: string;
  let file: string;
  let index: SqliteMetadataIndex;
  let blobs: FsBlobStore;
  let logged: { level: string; message: string; context: Record<string, unknown> }[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-reindex-'));
    file = join(dir, 'index.sqlite');
    index = new SqliteMetadataIndex({ file });
    blobs = new FsBlobStore({ root: join(dir, 'blobs') });
    await Promise.all([index.start(), blobs.start()]);
    logged = [];
  });
  afterEach(async () => {
    await Promise.all([index.close(), blobs.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const logger = {
    info: (context: Record<string, unknown>, message: string) => void logged.push({ level: 'info', message, context }),
    warn: (context: Record<string, unknown>, message: string) => void logged.push({ level: 'warn', message, context }),
  };

  function runner(on: ReindexIndex, batchSize: number, stopping?: () => boolean) {
    return new RunReindexJobsUseCase(on, new InstanceMetadataReader(blobs), logger, {
      batchSize,
      ...(stopping ? { stopping } : {}),
    });
  }

  const described = (sop: string, protocol: string) => {
    const copy = indexedInstance({ study: '1.1', series: `1.1.${sop.slice(-1)}`, sop });
    return {
      ...copy,
      metadata: { ...copy.attributes, [key('ProtocolName')]: { vr: 'LO' as const, Value: [protocol] } },
    };
  };

  /** A copy without metadata in the index whose stored file the job reads (its protocol: ABD ROUTINE). */
  async function stored(sop: string): Promise<IndexedInstance> {
    const bytes = ctInstanceFile({ studyInstanceUid: '1.1', seriesInstanceUid: '1.1.8', sopInstanceUid: sop });
    const blob = await blobs.put(`radiology/${sop}.dcm`, Readable.from([bytes]));
    const copy = indexedInstance({ study: '1.1', series: '1.1.8', sop });
    return { ...copy, blob: { key: blob.key, size: blob.size, sha256: blob.sha256, tier: 'hot' } };
  }

  /** Five copies: three with metadata, one read from its file, one whose file is missing. */
  async function archive(): Promise<void> {
    const copies = [
      described('1.1.1.1', 'ABD'),
      described('1.1.1.2', 'CHEST'),
      described('1.1.1.3', 'HEAD'),
      await stored('1.1.8.8'),
      indexedInstance({ study: '1.1', series: '1.1.9', sop: '1.1.9.9' }),
    ];
    for (const copy of copies) await index.upsertInstance(copy);
  }

  async function protocols(on: MetadataIndex = index): Promise<Record<string, unknown>> {
    const { results } = await on.search('radiology', 'instance', {}, []);
    return Object.fromEntries(
      results.map((record) => [record[key('SOPInstanceUID')]!.Value![0], record[key('ProtocolName')]?.Value?.[0]]),
    );
  }

  /** The index, with each listing's cursor recorded. */
  function spied(on: MetadataIndex, cursors: (string | undefined)[]): ReindexIndex {
    return Object.assign(Object.create(on) as MetadataIndex, {
      listReindexCopies: (tenantId: string, after: string | undefined, limit: number) => {
        cursors.push(after);
        return on.listReindexCopies(tenantId, after, limit);
      },
    });
  }

  it('gives every current copy the attributes, batch by batch, from the index metadata, else the stored file', async () => {
    await archive();
    const { job } = await index.setExtraAttributes('radiology', PROTOCOL);
    expect(await protocols()).toEqual({
      '1.1.1.1': undefined,
      '1.1.1.2': undefined,
      '1.1.1.3': undefined,
      '1.1.8.8': undefined,
      '1.1.9.9': undefined,
    });
    expect(await runner(index, 2).execute()).toBe(3);
    expect(await protocols()).toEqual({
      '1.1.1.1': 'ABD',
      '1.1.1.2': 'CHEST',
      '1.1.1.3': 'HEAD',
      '1.1.8.8': 'ABD ROUTINE',
      '1.1.9.9': undefined,
    });
    const done = await index.getReindexJob('radiology', job.id);
    expect(done).toMatchObject({ state: 'done', batches: 3, done: 5, total: 5, errorCount: 1, cursor: '1.1.9.9' });
    expect(done!.errors).toEqual([{ sopInstanceUid: '1.1.9.9', message: expect.stringMatching(/\S/) }]);
    expect(logged.map(({ level, message }) => `${level}: ${message}`)).toEqual([
      'warn: stored copy unreadable: extra attributes taken from its index attributes',
      'info: reindex job done',
    ]);
    // Nothing left to run.
    expect(await runner(index, 2).execute()).toBe(0);
  });

  it('resumes a job after its last recorded batch, after a restart', async () => {
    await archive();
    const { job } = await index.setExtraAttributes('radiology', PROTOCOL);
    let batches = 0;
    const counting = Object.assign(Object.create(index) as MetadataIndex, {
      recordReindexProgress: async (...args: Parameters<MetadataIndex['recordReindexProgress']>) => {
        batches += 1;
        return index.recordReindexProgress(...args);
      },
    });
    // Stopped (a shutdown) after its first batch.
    expect(await runner(counting, 2, () => batches >= 1).execute()).toBe(1);
    expect(await index.getReindexJob('radiology', job.id)).toMatchObject({ state: 'running', done: 2 });
    await index.close();
    const restarted = new SqliteMetadataIndex({ file });
    await restarted.start();
    try {
      const cursors: (string | undefined)[] = [];
      expect(await runner(spied(restarted, cursors), 2).execute()).toBe(2);
      expect(cursors).toEqual(['1.1.1.2', '1.1.8.8']);
      expect(await restarted.getReindexJob('radiology', job.id)).toMatchObject({ state: 'done', done: 5 });
      expect(Object.values(await protocols(restarted)).filter(Boolean)).toHaveLength(4);
    } finally {
      await restarted.close();
      await index.start();
    }
  });

  it('counts each copy once when two runners run the job at once', async () => {
    await archive();
    const { job } = await index.setExtraAttributes('radiology', PROTOCOL);
    const recorded = await Promise.all([runner(index, 1).execute(), runner(index, 1).execute()]);
    // Five batches of one and the last, empty: each recorded by one of them.
    expect(recorded[0]! + recorded[1]!).toBe(6);
    expect(await index.getReindexJob('radiology', job.id)).toMatchObject({ state: 'done', done: 5, batches: 6 });
  });

  it('runs the job of the latest list only, and a job of an empty list at once', async () => {
    await archive();
    const { job: replaced } = await index.setExtraAttributes('radiology', PROTOCOL);
    const { job } = await index.setExtraAttributes('radiology', [{ attribute: 'ImageType', level: 'instance' }]);
    const { job: empty } = await index.setExtraAttributes('cardiology', []);
    const cursors: (string | undefined)[] = [];
    expect(await runner(spied(index, cursors), 10).execute()).toBe(2);
    // The empty list's job reads no copy.
    expect(cursors).toEqual([undefined]);
    expect(await index.getReindexJob('radiology', replaced.id)).toMatchObject({ state: 'superseded', batches: 0 });
    expect(await index.getReindexJob('radiology', job.id)).toMatchObject({ state: 'done', done: 5 });
    expect(await index.getReindexJob('cardiology', empty.id)).toMatchObject({ state: 'done', done: 0, total: 0 });
    // Of the five, the stored file has an ImageType: read again, as its index has no metadata.
    const { results } = await index.search('radiology', 'instance', {}, []);
    const typed = results.filter((record) => record[key('ImageType')] !== undefined);
    expect(typed.map((record) => record[key('SOPInstanceUID')]!.Value)).toEqual([['1.1.8.8']]);
  });

  it('gives copies indexed after the list its attributes without the job', async () => {
    await index.setExtraAttributes('radiology', PROTOCOL);
    await index.upsertInstance(described('1.1.1.1', 'ABD'));
    expect((await protocols())['1.1.1.1']).toBe('ABD');
    expect(await index.findUnfinishedReindexJobs(10)).toHaveLength(1);
  });
});
