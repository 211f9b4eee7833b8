import { runCacheContract } from '@pacs/cache/testing';
import { MemoryCache } from './memory-cache.adapter';

runCacheContract('MemoryCache', () => new MemoryCache());

describe('MemoryCache (in-memory specifics)', () => {
  it('sweeps expired entries that are never read again', async () => {
    let now = 1_000;
    const cache = new MemoryCache({ now: () => now });
    await cache.set('a', '1', 100);
    await cache.set('b', '2');
    await cache.acquireLock('l', 100);
    now += 101;
    cache.sweep();
    // Reach into the maps to prove the memory is freed, not just hidden by the lazy check on read.
    const sizes = cache as unknown as { values: Map<string, unknown>; locks: Map<string, unknown> };
    expect(sizes.values.size).toBe(1);
    expect(sizes.locks.size).toBe(0);
    await cache.close();
  });

  it('expires by the injected clock', async () => {
    let now = 0;
    const cache = new MemoryCache({ now: () => now });
    await cache.set('k', 'v', 10);
    now = 9;
    expect(await cache.get('k')).toBe('v');
    now = 10;
    expect(await cache.get('k')).toBeNull();
    await cache.close();
  });

  it('rejects calls after close and reports unhealthy', async () => {
    const cache = new MemoryCache();
    await cache.close();
    expect(await cache.isHealthy()).toBe(false);
    await expect(cache.get('k')).rejects.toThrow('closed');
  });
});
