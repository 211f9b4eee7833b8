import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../blob-store.port';
import { BlobStoreError, type BlobStoreErrorCode } from '../blob-store.errors';
import {
  failingStream,
  GeneratedBody,
  hashStream,
  measureRssGrowth,
  MiB,
  readAll,
  sha256Hex,
  slowStream,
  streamOf,
} from './blob-test-streams';

/** Sizes and limits of the contract's large-object tests. */
export interface BlobStoreContractOptions {
  /** Size of the large round trip; must exceed an S3 store's part size so that multipart runs. Default 64 MiB. */
  readonly largeObjectBytes?: number;
  /** Size of the bounded-memory test. Default 256 MiB. */
  readonly memoryTestBytes?: number;
  /** Allowed peak RSS growth while streaming it. Default 150 MB. */
  readonly maxRssGrowthBytes?: number;
  /** When given, also streams an object of this size (several GB) with the same memory bound. */
  readonly severalGbBytes?: number;
}

const LARGE_TIMEOUT_MS = 300_000;

/**
 * The BlobStore contract: every adapter passes it. `createStore` is called before each test and the
 * store is closed after it; every test writes under its own unique prefix, so the stores may share
 * a root or bucket. The several-GB test runs where `severalGbBytes` is given (the real-engine suites).
 */
export function runBlobStoreContract(
  adapterName: string,
  createStore: () => BlobStore | Promise<BlobStore>,
  options: BlobStoreContractOptions = {},
): void {
  const largeObjectBytes = options.largeObjectBytes ?? 64 * MiB;
  const memoryTestBytes = options.memoryTestBytes ?? 256 * MiB;
  const maxRssGrowthBytes = options.maxRssGrowthBytes ?? 150 * 1000 * 1000;

  describe(`BlobStore contract: ${adapterName}`, () => {
    let store: BlobStore;
    let prefix: string;
    let testIndex = 0;

    beforeEach(async () => {
      store = await createStore();
      testIndex += 1;
      prefix = `contract/t${testIndex}-${randomBytes(4).toString('hex')}/`;
    });

    afterEach(async () => {
      await store.close();
    });

    const expectCode = async (promise: Promise<unknown>, code: BlobStoreErrorCode): Promise<void> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BlobStoreError);
      expect((error as BlobStoreError).code).toBe(code);
    };

    const listAll = async (listPrefix: string): Promise<string[]> => {
      const keys: string[] = [];
      for await (const key of store.list(listPrefix)) keys.push(key);
      return keys;
    };

    describe('put and get', () => {
      it('round-trips a Readable body with its size and SHA-256', async () => {
        const bytes = randomBytes(100_000);
        const stored = await store.put(`${prefix}a.dcm`, streamOf(bytes.subarray(0, 30_000), bytes.subarray(30_000)));
        expect(stored).toEqual({ key: `${prefix}a.dcm`, size: bytes.length, sha256: sha256Hex(bytes) });
        expect((await readAll(await store.get(`${prefix}a.dcm`))).equals(bytes)).toBe(true);
      });

      it('round-trips an async iterable body', async () => {
        const parts = [randomBytes(10), randomBytes(20), new Uint8Array([1, 2, 3])];
        async function* body(): AsyncGenerator<Uint8Array> {
          yield* parts;
        }
        const bytes = Buffer.concat(parts);
        const stored = await store.put(`${prefix}iter`, body());
        expect(stored.size).toBe(33);
        expect(stored.sha256).toBe(sha256Hex(bytes));
        expect((await readAll(await store.get(`${prefix}iter`))).equals(bytes)).toBe(true);
      });

      it('stores an empty object', async () => {
        const stored = await store.put(`${prefix}empty`, streamOf());
        expect(stored).toEqual({ key: `${prefix}empty`, size: 0, sha256: sha256Hex(Buffer.alloc(0)) });
        expect((await readAll(await store.get(`${prefix}empty`))).length).toBe(0);
        expect((await store.head(`${prefix}empty`))?.size).toBe(0);
        // No byte to start from: unsatisfiable, as HTTP and S3 say.
        await expectCode(store.get(`${prefix}empty`, { start: 0 }), 'INVALID_RANGE');
      });

      it('accepts deep keys with every allowed character', async () => {
        const key = `${prefix}tenant=radiology/1.2.840.10008/Series_9-x/INST.dcm`;
        await store.put(key, streamOf(Buffer.from('x')));
        expect((await readAll(await store.get(key))).toString()).toBe('x');
      });

      it('rejects a missing key with NOT_FOUND', async () => {
        await expectCode(store.get(`${prefix}missing`), 'NOT_FOUND');
        await expectCode(store.get(`${prefix}missing`, { start: 0 }), 'NOT_FOUND');
      });

      it('stores parallel writes to different keys', async () => {
        const bodies = Array.from({ length: 8 }, () => randomBytes(50_000));
        const stored = await Promise.all(bodies.map((b, i) => store.put(`${prefix}p/${i}`, streamOf(b))));
        expect(stored.map((s) => s.sha256)).toEqual(bodies.map(sha256Hex));
        for (const [i, b] of bodies.entries()) {
          expect((await readAll(await store.get(`${prefix}p/${i}`))).equals(b)).toBe(true);
        }
      });
    });

    describe('overwrite', () => {
      it('replaces the object', async () => {
        await store.put(`${prefix}o`, streamOf(Buffer.from('first version, longer')));
        const stored = await store.put(`${prefix}o`, streamOf(Buffer.from('second')));
        expect(stored.size).toBe(6);
        expect((await readAll(await store.get(`${prefix}o`))).toString()).toBe('second');
        expect((await store.head(`${prefix}o`))?.size).toBe(6);
        expect(await listAll(prefix)).toEqual([`${prefix}o`]);
      });

      it('never shows a mix of versions while a slow overwrite is in progress', async () => {
        const v1 = randomBytes(256 * 1024);
        const v2Chunks = Array.from({ length: 8 }, () => randomBytes(32 * 1024));
        const v2 = Buffer.concat(v2Chunks);
        await store.put(`${prefix}atomic`, streamOf(v1));
        const writing = store.put(`${prefix}atomic`, slowStream(v2Chunks, 40));
        let done = false;
        void writing.finally(() => (done = true)).catch(() => undefined);
        const seen = new Set<string>();
        while (!done) {
          const read = await readAll(await store.get(`${prefix}atomic`));
          expect(read.equals(v1) || read.equals(v2)).toBe(true);
          seen.add(read.equals(v1) ? 'v1' : 'v2');
          await sleep(10);
        }
        await writing;
        expect(seen.has('v1')).toBe(true);
        expect((await readAll(await store.get(`${prefix}atomic`))).equals(v2)).toBe(true);
      });
    });

    describe('byte ranges', () => {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

      beforeEach(async () => {
        await store.put(`${prefix}r`, streamOf(bytes));
      });

      const range = async (start: number, end?: number): Promise<Buffer> =>
        readAll(await store.get(`${prefix}r`, end === undefined ? { start } : { start, end }));

      it('reads from a start to the end', async () => {
        expect((await range(900)).equals(bytes.subarray(900))).toBe(true);
        expect((await range(0)).equals(bytes)).toBe(true);
      });

      it('reads an inclusive start-end range', async () => {
        expect((await range(10, 19)).equals(bytes.subarray(10, 20))).toBe(true);
        expect((await range(5, 5)).equals(bytes.subarray(5, 6))).toBe(true);
      });

      it('reads the last byte', async () => {
        expect((await range(999)).equals(bytes.subarray(999))).toBe(true);
        expect((await range(999, 999)).equals(bytes.subarray(999))).toBe(true);
      });

      it('clamps an end beyond the last byte, as HTTP does', async () => {
        expect((await range(990, 5000)).equals(bytes.subarray(990))).toBe(true);
      });

      it('rejects an unsatisfiable or malformed range with INVALID_RANGE', async () => {
        await expectCode(store.get(`${prefix}r`, { start: 1000 }), 'INVALID_RANGE');
        await expectCode(store.get(`${prefix}r`, { start: 5000, end: 6000 }), 'INVALID_RANGE');
        await expectCode(store.get(`${prefix}r`, { start: 10, end: 9 }), 'INVALID_RANGE');
        await expectCode(store.get(`${prefix}r`, { start: -1 }), 'INVALID_RANGE');
        await expectCode(store.get(`${prefix}r`, { start: 1.5 }), 'INVALID_RANGE');
      });
    });

    // Optional: stores that read random-access files offer it (BlobStore.open); the others skip.
    describe('open (reads at offsets, where the store offers it)', () => {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

      it("reads the object at offsets into the caller's buffer, and tells its size", async () => {
        if (!store.open) return;
        await store.put(`${prefix}o`, streamOf(bytes));
        const handle = await store.open(`${prefix}o`);
        try {
          expect(handle.size).toBe(1000);
          const target = Buffer.alloc(300, 0xff);
          expect(await handle.read(target, 10, 100, 900)).toBe(100);
          expect(target.subarray(10, 110).equals(bytes.subarray(900))).toBe(true);
          expect(target[9]).toBe(0xff);
          expect(await handle.read(target, 0, 300, 0)).toBe(300);
          expect(target.equals(bytes.subarray(0, 300))).toBe(true);
          expect(await handle.read(target, 0, 300, 1000)).toBe(0);
        } finally {
          await handle.close();
        }
        await handle.close();
      });

      it('keeps reading the version it opened while the object is overwritten', async () => {
        if (!store.open) return;
        await store.put(`${prefix}pinned`, streamOf(bytes));
        const handle = await store.open(`${prefix}pinned`);
        await store.put(`${prefix}pinned`, streamOf(Buffer.from('v2')));
        const target = Buffer.alloc(1000);
        expect(await handle.read(target, 0, 1000, 0)).toBe(1000);
        expect(target.equals(bytes)).toBe(true);
        await handle.close();
      });

      it('opens an empty object, and rejects a missing key with NOT_FOUND', async () => {
        if (!store.open) return;
        await store.put(`${prefix}empty`, streamOf());
        const handle = await store.open(`${prefix}empty`);
        expect(handle.size).toBe(0);
        await handle.close();
        await expectCode(store.open(`${prefix}missing`), 'NOT_FOUND');
      });

      it('finishes a read begun before close', async () => {
        if (!store.open) return;
        await store.put(`${prefix}busy`, streamOf(bytes));
        const handle = await store.open(`${prefix}busy`);
        const target = Buffer.alloc(1000);
        const reading = handle.read(target, 0, 1000, 0);
        await handle.close();
        expect(await reading).toBe(1000);
        expect(target.equals(bytes)).toBe(true);
        await expect(handle.read(target, 0, 10, 0)).rejects.toThrow();
      });
    });

    describe('head', () => {
      it('gives the size and modification time', async () => {
        const before = Date.now();
        await store.put(`${prefix}h`, streamOf(randomBytes(1234)));
        const info = await store.head(`${prefix}h`);
        expect(info).not.toBeNull();
        expect(info!.key).toBe(`${prefix}h`);
        expect(info!.size).toBe(1234);
        expect(info!.modifiedAt).toBeInstanceOf(Date);
        // Clocks of a remote store drift and S3 rounds to the second.
        expect(Math.abs(info!.modifiedAt.getTime() - before)).toBeLessThan(120_000);
      });

      it('is null when absent', async () => {
        expect(await store.head(`${prefix}nothing`)).toBeNull();
      });
    });

    describe('delete', () => {
      it('removes the object and is idempotent', async () => {
        await store.put(`${prefix}d/x`, streamOf(Buffer.from('x')));
        await store.delete(`${prefix}d/x`);
        expect(await store.head(`${prefix}d/x`)).toBeNull();
        await expectCode(store.get(`${prefix}d/x`), 'NOT_FOUND');
        expect(await listAll(prefix)).toEqual([]);
        await store.delete(`${prefix}d/x`);
        await store.delete(`${prefix}never/was`);
      });

      it('leaves the other objects of the prefix alone', async () => {
        await store.put(`${prefix}d/x`, streamOf(Buffer.from('x')));
        await store.put(`${prefix}d/y`, streamOf(Buffer.from('y')));
        await store.delete(`${prefix}d/x`);
        expect(await listAll(prefix)).toEqual([`${prefix}d/y`]);
        await store.put(`${prefix}d/x`, streamOf(Buffer.from('x again')));
        expect((await readAll(await store.get(`${prefix}d/x`))).toString()).toBe('x again');
      });
    });

    describe('list', () => {
      const names = ['s1/i2', 's1/i10', 's1/i1', 's1-x', 's2/a/b', 's10/z', 't', 's1/i1a/deep'];

      beforeEach(async () => {
        for (const name of names) await store.put(`${prefix}${name}`, streamOf(Buffer.from(name)));
      });

      it('lists every key under a prefix in lexical order', async () => {
        const expected = names.map((n) => `${prefix}${n}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(await listAll(prefix)).toEqual(expected);
      });

      it('treats the prefix as a plain string prefix', async () => {
        expect(await listAll(`${prefix}s1/`)).toEqual(
          ['s1/i1', 's1/i10', 's1/i1a/deep', 's1/i2'].map((n) => prefix + n),
        );
        expect(await listAll(`${prefix}s1`)).toEqual(
          ['s1-x', 's1/i1', 's1/i10', 's1/i1a/deep', 's1/i2', 's10/z'].map((n) => prefix + n),
        );
        expect(await listAll(`${prefix}s1/i1`)).toEqual(['s1/i1', 's1/i10', 's1/i1a/deep'].map((n) => prefix + n));
        expect(await listAll(`${prefix}s2/a/b`)).toEqual([`${prefix}s2/a/b`]);
      });

      it('is empty for a prefix with no keys', async () => {
        expect(await listAll(`${prefix}nope/`)).toEqual([]);
        expect(await listAll(`${prefix}u`)).toEqual([]);
      });
    });

    describe('keys', () => {
      const invalid = [
        '',
        '../x',
        'a/../../x',
        '/abs',
        'a//b',
        'a/',
        'a/./b',
        '.hidden',
        'a/.tmp/x',
        'with space',
        'a\\b',
        'é',
      ];

      it.each(invalid)('rejects %j with INVALID_KEY on every operation', async (key) => {
        await expectCode(store.put(key, streamOf(Buffer.from('x'))), 'INVALID_KEY');
        await expectCode(store.get(key), 'INVALID_KEY');
        await expectCode(store.head(key), 'INVALID_KEY');
        await expectCode(store.delete(key), 'INVALID_KEY');
      });

      it('rejects an invalid list prefix with INVALID_KEY', async () => {
        await expectCode(listAll('/abs'), 'INVALID_KEY');
        await expectCode(listAll('../'), 'INVALID_KEY');
        await expectCode(listAll('a//'), 'INVALID_KEY');
      });
    });

    describe('expected SHA-256', () => {
      const bytes = Buffer.from('the real bytes');

      it('stores the object when the digest matches, in any case', async () => {
        const stored = await store.put(`${prefix}ok`, streamOf(bytes), {
          expectedSha256: sha256Hex(bytes).toUpperCase(),
        });
        expect(stored.sha256).toBe(sha256Hex(bytes));
      });

      it('fails with CHECKSUM_MISMATCH and nothing becomes visible', async () => {
        await expectCode(
          store.put(`${prefix}bad`, streamOf(bytes), { expectedSha256: sha256Hex(Buffer.from('other')) }),
          'CHECKSUM_MISMATCH',
        );
        expect(await store.head(`${prefix}bad`)).toBeNull();
        expect(await listAll(prefix)).toEqual([]);
      });

      it('keeps the previous version when an overwrite mismatches', async () => {
        await store.put(`${prefix}keep`, streamOf(Buffer.from('old')));
        await expectCode(
          store.put(`${prefix}keep`, streamOf(bytes), { expectedSha256: sha256Hex(Buffer.from('other')) }),
          'CHECKSUM_MISMATCH',
        );
        expect((await readAll(await store.get(`${prefix}keep`))).toString()).toBe('old');
      });

      it('rejects a malformed digest with CHECKSUM_MISMATCH', async () => {
        await expectCode(store.put(`${prefix}m`, streamOf(bytes), { expectedSha256: 'abc' }), 'CHECKSUM_MISMATCH');
        expect(await store.head(`${prefix}m`)).toBeNull();
      });
    });

    describe('failing body', () => {
      it("rejects with the body's own error and nothing becomes visible", async () => {
        const failure = new Error('client went away');
        const error = await store.put(`${prefix}f`, failingStream(300_000, failure)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBe(failure);
        expect(await store.head(`${prefix}f`)).toBeNull();
        expect(await listAll(prefix)).toEqual([]);
      });

      it('keeps the previous version when an overwrite fails midway', async () => {
        await store.put(`${prefix}f`, streamOf(Buffer.from('old')));
        await expect(store.put(`${prefix}f`, failingStream(100_000, new Error('broken')))).rejects.toThrow('broken');
        expect((await readAll(await store.get(`${prefix}f`))).toString()).toBe('old');
      });
    });

    describe('large objects', () => {
      it(
        `streams ${largeObjectBytes / MiB} MiB and reads it back whole and by ranges`,
        async () => {
          const body = new GeneratedBody(largeObjectBytes);
          const stored = await store.put(`${prefix}large`, body);
          expect(stored.size).toBe(largeObjectBytes);
          expect(stored.sha256).toBe(body.sha256);
          expect(await hashStream(await store.get(`${prefix}large`))).toEqual({
            size: largeObjectBytes,
            sha256: body.sha256,
          });
          // Around the 5 and 8 MiB marks, where S3 parts usually end, and the tail.
          for (const [start, end] of [
            [5 * MiB - 7, 5 * MiB + 7],
            [8 * MiB - 100, 8 * MiB + 100],
            [largeObjectBytes - 10, largeObjectBytes - 1],
          ] as const) {
            const read = await readAll(await store.get(`${prefix}large`, { start, end }));
            expect(read.equals(body.slice(start, end))).toBe(true);
          }
          await store.delete(`${prefix}large`);
        },
        LARGE_TIMEOUT_MS,
      );

      const boundedMemory = (bytes: number): void => {
        it(
          `streams ${bytes / MiB} MiB in and out with RSS growth under ${Math.round(maxRssGrowthBytes / 1e6)} MB`,
          async () => {
            // Warm up first: loading the SDK's code and the first connections are one-time costs,
            // not memory that grows with the object.
            await store.put(`${prefix}warm-up`, new GeneratedBody(16 * MiB));
            await store.delete(`${prefix}warm-up`);
            const body = new GeneratedBody(bytes);
            const write = await measureRssGrowth(() => store.put(`${prefix}huge`, body));
            expect(write.result.sha256).toBe(body.sha256);
            const read = await measureRssGrowth(async () => hashStream(await store.get(`${prefix}huge`)));
            expect(read.result).toEqual({ size: bytes, sha256: body.sha256 });
            console.info(
              `[${adapterName}] ${bytes / MiB} MiB: peak RSS growth ${(write.peakGrowthBytes / 1e6).toFixed(1)} MB writing, ` +
                `${(read.peakGrowthBytes / 1e6).toFixed(1)} MB reading`,
            );
            expect(write.peakGrowthBytes).toBeLessThan(maxRssGrowthBytes);
            expect(read.peakGrowthBytes).toBeLessThan(maxRssGrowthBytes);
            await store.delete(`${prefix}huge`);
          },
          LARGE_TIMEOUT_MS + (bytes / 1024 ** 3) * 120_000,
        );
      };

      boundedMemory(memoryTestBytes);
      if (options.severalGbBytes !== undefined) boundedMemory(options.severalGbBytes);
    });

    it('is healthy', async () => {
      expect(await store.isHealthy()).toBe(true);
    });

    it('starts (prepares its root or bucket), idempotently, and then stores', async () => {
      await store.start();
      await store.start();
      expect(await store.isHealthy()).toBe(true);
      const stored = await store.put(`${prefix}after-start`, streamOf(Buffer.from('started')));
      expect(stored.size).toBe(7);
    });
  });
}
