import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cache } from '../cache.port';

// Real short TTLs: long enough that a busy CI machine still reads the value before expiry, short
// enough to keep the suite quick; the wait after expiry leaves a wide margin for timer slack.
const TTL_MS = 150;
const AFTER_EXPIRY_MS = 400;

/**
 * The Cache contract: every adapter passes it. `createCache` is called before each test and the
 * cache is closed after it; every test uses its own unique keys, so the caches may share a backend.
 */
export function runCacheContract(adapterName: string, createCache: () => Cache | Promise<Cache>): void {
  describe(`Cache contract: ${adapterName}`, () => {
    let cache: Cache;
    let id: string;

    beforeEach(async () => {
      cache = await createCache();
      id = randomBytes(6).toString('hex');
    });

    afterEach(async () => {
      await cache.close();
    });

    const key = (name: string): string => `contract:${id}:${name}`;

    describe('values', () => {
      it('is null for an absent key', async () => {
        expect(await cache.get(key('absent'))).toBeNull();
      });

      it('gets what was set, and the latest value', async () => {
        await cache.set(key('a'), 'one');
        expect(await cache.get(key('a'))).toBe('one');
        await cache.set(key('a'), 'two');
        expect(await cache.get(key('a'))).toBe('two');
      });

      it('keeps values exactly (empty, unicode, large, JSON)', async () => {
        const values = ['', 'ü∆ 影像 🩻', 'x'.repeat(100_000), JSON.stringify({ a: [1, { b: null }] })];
        for (const [i, value] of values.entries()) {
          await cache.set(key(`v${i}`), value);
          expect(await cache.get(key(`v${i}`))).toBe(value);
        }
      });

      it('expires a value after its TTL', async () => {
        await cache.set(key('ttl'), 'soon gone', TTL_MS);
        expect(await cache.get(key('ttl'))).toBe('soon gone');
        await sleep(AFTER_EXPIRY_MS);
        expect(await cache.get(key('ttl'))).toBeNull();
      });

      it('keeps a value set without TTL, and a set without TTL clears an earlier TTL', async () => {
        await cache.set(key('forever'), 'stays');
        await cache.set(key('was-ttl'), 'first', TTL_MS);
        await cache.set(key('was-ttl'), 'second');
        await sleep(AFTER_EXPIRY_MS);
        expect(await cache.get(key('forever'))).toBe('stays');
        expect(await cache.get(key('was-ttl'))).toBe('second');
      });

      it('deletes a key, and deleting an absent key is fine', async () => {
        await cache.set(key('d'), 'x');
        await cache.delete(key('d'));
        expect(await cache.get(key('d'))).toBeNull();
        await cache.delete(key('d'));
        await cache.delete(key('never'));
      });

      it('rejects a non-positive TTL', async () => {
        await expect(cache.set(key('bad'), 'x', 0)).rejects.toThrow(RangeError);
        await expect(cache.set(key('bad'), 'x', -5)).rejects.toThrow(RangeError);
        await expect(cache.setIfAbsent(key('bad'), 'x', Number.NaN)).rejects.toThrow(RangeError);
        await expect(cache.acquireLock(key('bad'), 0)).rejects.toThrow(RangeError);
        expect(await cache.get(key('bad'))).toBeNull();
      });
    });

    describe('setIfAbsent', () => {
      it('stores once, then refuses while the key exists', async () => {
        expect(await cache.setIfAbsent(key('once'), 'first', 60_000)).toBe(true);
        expect(await cache.setIfAbsent(key('once'), 'second', 60_000)).toBe(false);
        expect(await cache.get(key('once'))).toBe('first');
      });

      it('stores again after expiry', async () => {
        expect(await cache.setIfAbsent(key('idem'), 'first', TTL_MS)).toBe(true);
        await sleep(AFTER_EXPIRY_MS);
        expect(await cache.setIfAbsent(key('idem'), 'second', TTL_MS)).toBe(true);
        expect(await cache.get(key('idem'))).toBe('second');
      });

      it('without TTL, stores for good', async () => {
        expect(await cache.setIfAbsent(key('nottl'), 'v')).toBe(true);
        expect(await cache.setIfAbsent(key('nottl'), 'w')).toBe(false);
        expect(await cache.get(key('nottl'))).toBe('v');
      });

      it('refuses a key that set stored, and lets exactly one of concurrent callers win', async () => {
        await cache.set(key('taken'), 'v');
        expect(await cache.setIfAbsent(key('taken'), 'w')).toBe(false);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => cache.setIfAbsent(key('race'), `v${i}`, 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('locks', () => {
      it('is held by one holder at a time', async () => {
        const lock = await cache.acquireLock(key('l'), 60_000);
        expect(lock).not.toBeNull();
        expect(lock!.name).toBe(key('l'));
        expect(typeof lock!.token).toBe('string');
        expect(lock!.token.length).toBeGreaterThanOrEqual(16);
        expect(await cache.acquireLock(key('l'), 60_000)).toBeNull();
      });

      it('can be taken again after release; a second release is false', async () => {
        const lock = await cache.acquireLock(key('r'), 60_000);
        expect(await lock!.release()).toBe(true);
        expect(await lock!.release()).toBe(false);
        const again = await cache.acquireLock(key('r'), 60_000);
        expect(again).not.toBeNull();
        expect(again!.token).not.toBe(lock!.token);
      });

      it('can be taken again after expiry', async () => {
        expect(await cache.acquireLock(key('e'), TTL_MS)).not.toBeNull();
        expect(await cache.acquireLock(key('e'), TTL_MS)).toBeNull();
        await sleep(AFTER_EXPIRY_MS);
        expect(await cache.acquireLock(key('e'), 60_000)).not.toBeNull();
      });

      it("does not let a stale holder release or extend the new holder's lock", async () => {
        const stale = await cache.acquireLock(key('s'), TTL_MS);
        await sleep(AFTER_EXPIRY_MS);
        const current = await cache.acquireLock(key('s'), 60_000);
        expect(current).not.toBeNull();
        expect(await stale!.release()).toBe(false);
        expect(await stale!.extend(60_000)).toBe(false);
        expect(await cache.acquireLock(key('s'), 60_000)).toBeNull();
        expect(await current!.release()).toBe(true);
      });

      it('stays held past its first TTL when extended', async () => {
        const lock = await cache.acquireLock(key('x'), 300);
        await sleep(150);
        expect(await lock!.extend(1_000)).toBe(true);
        await sleep(400);
        expect(await cache.acquireLock(key('x'), 60_000)).toBeNull();
        expect(await lock!.release()).toBe(true);
      });

      it('cannot be extended once expired', async () => {
        const lock = await cache.acquireLock(key('gone'), TTL_MS);
        await sleep(AFTER_EXPIRY_MS);
        expect(await lock!.extend(60_000)).toBe(false);
        expect(await cache.acquireLock(key('gone'), 60_000)).not.toBeNull();
      });

      it('lets exactly one of concurrent callers take it', async () => {
        const locks = await Promise.all(Array.from({ length: 10 }, () => cache.acquireLock(key('c'), 60_000)));
        expect(locks.filter((l) => l !== null)).toHaveLength(1);
      });

      it('lives apart from values of the same name', async () => {
        await cache.set(key('shared'), 'value');
        const lock = await cache.acquireLock(key('shared'), 60_000);
        expect(lock).not.toBeNull();
        expect(await cache.get(key('shared'))).toBe('value');
        await cache.delete(key('shared'));
        expect(await cache.acquireLock(key('shared'), 60_000)).toBeNull();
        expect(await lock!.release()).toBe(true);
      });
    });

    it('is healthy', async () => {
      expect(await cache.isHealthy()).toBe(true);
    });
  });
}
