import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { runCacheContract } from '@pacs/cache/testing';
import { engineEnv, uniqueName } from '@pacs/testing';
import { RedisCache } from './redis-cache.adapter';

const url = engineEnv('PACS_REDIS_URL');
const keyPrefix = `${uniqueName('pacs-test')}:`;

afterAll(async () => {
  // Values set without TTL would stay in the shared Redis forever.
  const admin = new Redis(url);
  try {
    for await (const keys of admin.scanStream({ match: `${keyPrefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await admin.del(...keys);
    }
  } finally {
    await admin.quit();
  }
});

runCacheContract('RedisCache', () => new RedisCache({ url, keyPrefix }));

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('RedisCache (Redis specifics)', () => {
  it('keeps its keys under the key prefix', async () => {
    const cache = new RedisCache({ url, keyPrefix });
    const raw = new RedisCache({ url, keyPrefix: '' });
    try {
      await cache.set('prefixed', 'v', 60_000);
      expect(await raw.get(`${keyPrefix}prefixed`)).toBeNull(); // values live under `v:`
      const other = new RedisCache({ url, keyPrefix: `${keyPrefix}other:` });
      expect(await other.get('prefixed')).toBeNull();
      await other.close();
    } finally {
      await cache.close();
      await raw.close();
    }
  });

  it('rejects calls within seconds when Redis is unreachable, and reports unhealthy', async () => {
    const cache = new RedisCache({ url: `redis://127.0.0.1:${await closedPort()}`, keyPrefix });
    try {
      const started = Date.now();
      await expect(cache.get('k')).rejects.toThrow();
      await expect(cache.set('k', 'v', 1000)).rejects.toThrow();
      await expect(cache.acquireLock('l', 1000)).rejects.toThrow();
      expect(await cache.isHealthy()).toBe(false);
      expect(Date.now() - started).toBeLessThan(8_000);
      // Later calls, made while the client is between reconnection attempts, fail as fast.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const again = Date.now();
      await expect(cache.get('k')).rejects.toThrow();
      expect(Date.now() - again).toBeLessThan(3_000);
    } finally {
      await cache.close();
    }
  }, 20_000);

  it('closes twice without error', async () => {
    const cache = new RedisCache({ url, keyPrefix });
    expect(await cache.isHealthy()).toBe(true);
    await cache.close();
    await cache.close();
    expect(await cache.isHealthy()).toBe(false);
  });
});
