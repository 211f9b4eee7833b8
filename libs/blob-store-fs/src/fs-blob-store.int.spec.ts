import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStoreError } from '@pacs/blob-store';
import { failingStream, readAll, runBlobStoreContract, slowStream, streamOf } from '@pacs/blob-store/testing';
import { FsBlobStore } from './fs-blob-store.adapter';

let parent: string;
let counter = 0;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'pacs-fs-blob-'));
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const newRoot = (): string => join(parent, `store-${(counter += 1)}`);

runBlobStoreContract('FsBlobStore', () => new FsBlobStore({ root: newRoot() }));

describe('FsBlobStore (filesystem specifics)', () => {
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = newRoot();
    store = new FsBlobStore({ root });
  });

  afterEach(async () => {
    await store.close();
  });

  it('lays objects out as files under the root', async () => {
    await store.put('studies/1.2.3/a.dcm', streamOf(Buffer.from('dicom')));
    expect(await readFile(join(root, 'studies', '1.2.3', 'a.dcm'), 'utf8')).toBe('dicom');
  });

  it('removes the temp file after a failed put', async () => {
    await expect(store.put('x/y', failingStream(200_000, new Error('gone')))).rejects.toThrow('gone');
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('removes the temp file after a checksum mismatch', async () => {
    await expect(store.put('x/y', streamOf(Buffer.from('abc')), { expectedSha256: '0'.repeat(64) })).rejects.toThrow(
      BlobStoreError,
    );
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('maps a full disk to a retriable OUT_OF_SPACE and leaves nothing behind', async () => {
    await store.put('full/existing', streamOf(Buffer.from('old')));
    // A disk cannot be filled here: writes that fail as on a full disk stand in for it. The module
    // object itself is patched (an `import * as` copy would not reach the adapter's import).
    const nodeFs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const spy = jest.spyOn(nodeFs, 'writev').mockImplementation(((...args: unknown[]) => {
      const callback = args[args.length - 1] as (error: Error) => void;
      process.nextTick(() =>
        callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
      );
    }) as typeof nodeFs.writev);
    try {
      await expect(store.put('full/existing', streamOf(randomBytes(10_000)))).rejects.toMatchObject({
        code: 'OUT_OF_SPACE',
        retriable: true,
      });
    } finally {
      spy.mockRestore();
    }
    expect((await readAll(await store.get('full/existing'))).toString()).toBe('old');
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('fails the put when a sync made while the body streams fails, even if the last sync succeeds', async () => {
    const nodeFs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const realFdatasync = nodeFs.fdatasync;
    let calls = 0;
    const spy = jest.spyOn(nodeFs, 'fdatasync').mockImplementation(((
      fd: number,
      callback: (error: NodeJS.ErrnoException | null) => void,
    ) => {
      calls += 1;
      if (calls === 1) {
        process.nextTick(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
      } else realFdatasync(fd, callback);
    }) as typeof nodeFs.fdatasync);
    try {
      // 1 MiB arriving slowly: the first 256 KiB are synced while the rest still streams.
      const chunks = Array.from({ length: 16 }, () => randomBytes(64 * 1024));
      await expect(store.put('eio/obj', slowStream(chunks, 5))).rejects.toMatchObject({ code: 'IO_ERROR' });
      expect(calls).toBeGreaterThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
    expect(await store.head('eio/obj')).toBeNull();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('keeps no partial file at the final key during a slow write', async () => {
    const chunks = Array.from({ length: 6 }, () => randomBytes(16 * 1024));
    const writing = store.put('slow/obj', slowStream(chunks, 50));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(existsSync(join(root, 'slow', 'obj'))).toBe(false);
    expect(await store.head('slow/obj')).toBeNull();
    expect((await readdir(join(root, '.tmp'))).length).toBe(1);
    await writing;
    expect((await readFile(join(root, 'slow', 'obj'))).equals(Buffer.concat(chunks))).toBe(true);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('keeps serving the version a reader opened while it is overwritten', async () => {
    const v1 = randomBytes(512 * 1024);
    await store.put('pinned', streamOf(v1));
    const reading = await store.get('pinned');
    await store.put('pinned', streamOf(Buffer.from('v2')));
    expect((await readAll(reading)).equals(v1)).toBe(true);
  });

  it('streams a whole object with one read per chunk, and none to find its end', async () => {
    const bytes = randomBytes(600 * 1024);
    await store.put('whole', streamOf(bytes));
    const { open } = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');
    const reads: number[] = [];
    // The module object the adapter calls through (an `import * as` would be a copy of it).
    const fsPromises = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');
    const opening = jest.spyOn(fsPromises, 'open').mockImplementationOnce(async (...args) => {
      const handle = await open(...args);
      const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      // Each read the stream makes, by the size of the buffer it reads into.
      handle.read = (async (...a: unknown[]) => {
        reads.push((a[0] as Buffer).length);
        return read(...a);
      }) as typeof handle.read;
      return handle;
    });
    try {
      expect((await readAll(await store.get('whole'))).equals(bytes)).toBe(true);
    } finally {
      opening.mockRestore();
    }
    // One read into a buffer of the object's size: not a 1 MiB buffer copied into one that fits,
    // then a last read that finds nothing.
    expect(reads).toEqual([bytes.length]);
  });

  it('opens a key naming a folder of objects as NOT_FOUND', async () => {
    await store.put('folder/inside', streamOf(Buffer.from('x')));
    await expect(store.open('folder')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('cleanupTemp removes orphans of a crash and skips recent files when asked', async () => {
    await mkdir(join(root, '.tmp'), { recursive: true });
    await writeFile(join(root, '.tmp', 'orphan-old'), 'half');
    await writeFile(join(root, '.tmp', 'orphan-new'), 'half');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(root, '.tmp', 'orphan-old'), anHourAgo, anHourAgo);

    expect(await store.cleanupTemp({ olderThanMs: 60_000 })).toBe(1);
    expect(await readdir(join(root, '.tmp'))).toEqual(['orphan-new']);
    expect(await store.cleanupTemp()).toBe(1);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    expect(await new FsBlobStore({ root: newRoot() }).cleanupTemp()).toBe(0);
  });

  it('never lists temp files', async () => {
    await mkdir(join(root, '.tmp'), { recursive: true });
    await writeFile(join(root, '.tmp', 'in-progress'), 'half');
    await store.put('a', streamOf(Buffer.from('a')));
    const keys: string[] = [];
    for await (const key of store.list('')) keys.push(key);
    expect(keys).toEqual(['a']);
  });

  it('removes the empty parent directories of a deleted object', async () => {
    await store.put('s/1/2/obj', streamOf(Buffer.from('x')));
    await store.put('s/keep', streamOf(Buffer.from('y')));
    await store.delete('s/1/2/obj');
    expect(existsSync(join(root, 's', '1'))).toBe(false);
    expect(existsSync(join(root, 's', 'keep'))).toBe(true);
  });

  it('rejects a key that collides with a prefix of other objects with INVALID_KEY', async () => {
    await store.put('c/child', streamOf(Buffer.from('x')));
    await expect(store.put('c', streamOf(Buffer.from('y')))).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('c/child/grandchild', streamOf(Buffer.from('z')))).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    expect(await store.head('c')).toBeNull();
    await store.delete('c');
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('survives puts racing deletes in the same directory', async () => {
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i += 1) {
      work.push(store.put(`race/d/${i}`, streamOf(Buffer.from(String(i)))).then(() => store.delete(`race/d/${i}`)));
    }
    await Promise.all(work);
    const keys: string[] = [];
    for await (const key of store.list('race/')) keys.push(key);
    expect(keys).toEqual([]);
  });

  it('is unhealthy when the root is gone', async () => {
    await store.put('a', streamOf(Buffer.from('a')));
    expect(await store.isHealthy()).toBe(true);
    await rm(root, { recursive: true });
    expect(await store.isHealthy()).toBe(false);
  });
});
