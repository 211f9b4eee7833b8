import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { validateTtl, type Cache, type Lock } from '@pacs/cache';

/** Options of the Redis cache. */
export interface RedisCacheOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** Prepended to every key, so that several deployments or test runs share one Redis (default `pacs:`). */
  readonly keyPrefix?: string;
  /** Bound on establishing a connection, in ms (default 3000). */
  readonly connectTimeoutMs?: number;
  /** Bound on one command's reply, in ms (default 5000). */
  readonly commandTimeoutMs?: number;
  /** Receives connection errors (the client reconnects by itself); give it the logger. */
  readonly onError?: (error: Error) => void;
}

// Compare-and-delete and compare-and-expire must be atomic: between a GET and a DEL run from the
// client, the lock could expire and be taken by another holder, whose lock we would then remove.
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** The client with the two scripts defined on it (ioredis adds script methods at run time). */
type LockScripts = {
  releaseLock(key: string, token: string): Promise<number>;
  extendLock(key: string, token: string, ttlMs: number): Promise<number>;
};

// Values and locks in separate key spaces, so that a lock named like a cached key leaves it alone.
const VALUE = 'v:';
const LOCK = 'lock:';

/**
 * Cache of the distributed shape, on Redis through ioredis. A Redis that is down or unreachable
 * makes calls reject within seconds rather than queue forever: commands wait for a connection only
 * until the next failed attempt (maxRetriesPerRequest 0), attempts are bounded (connectTimeout,
 * reconnect delays capped at 1 s) and so are replies (commandTimeout). The client keeps reconnecting
 * in the background, so the cache heals by itself when Redis is back.
 */
export class RedisCache implements Cache {
  private readonly redis: Redis & LockScripts;
  private closing: Promise<void> | undefined;

  constructor(options: RedisCacheOptions) {
    if (!options.url) throw new Error('RedisCache: options.url is required');
    const client = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? 'pacs:',
      connectTimeout: options.connectTimeoutMs ?? 3000,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      // The offline queue stays on, so that calls made while the first connection is being set up
      // wait for it instead of failing at start; with 0 retries per request, every queued call
      // fails as soon as a connection attempt fails.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      // ioredis keeps a timer this long on close to destroy a socket that did not end; after a failed
      // connection attempt that socket is long gone and the timer only holds the process open.
      disconnectTimeout: 500,
      scripts: {
        releaseLock: { lua: RELEASE_LOCK, numberOfKeys: 1 },
        extendLock: { lua: EXTEND_LOCK, numberOfKeys: 1 },
      },
    });
    // Without a listener ioredis prints every reconnection failure as an unhandled error event.
    client.on('error', options.onError ?? (() => undefined));
    this.redis = client as Redis & LockScripts;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(VALUE + key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.redis.set(VALUE + key, value);
    else await this.redis.set(VALUE + key, value, 'PX', validateTtl(ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const reply =
      ttlMs === undefined
        ? await this.redis.set(VALUE + key, value, 'NX')
        : await this.redis.set(VALUE + key, value, 'PX', validateTtl(ttlMs), 'NX');
    return reply === 'OK';
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(VALUE + key);
  }

  async acquireLock(name: string, ttlMs: number): Promise<Lock | null> {
    const ttl = validateTtl(ttlMs);
    // Random: a token must not be guessable nor repeat across processes and restarts.
    const token = randomBytes(16).toString('hex');
    const key = LOCK + name;
    if ((await this.redis.set(key, token, 'PX', ttl, 'NX')) !== 'OK') return null;
    return {
      name,
      token,
      release: async () => (await this.redis.releaseLock(key, token)) === 1,
      extend: async (extendTtlMs: number) => (await this.redis.extendLock(key, token, validateTtl(extendTtlMs))) === 1,
    };
  }

  async isHealthy(): Promise<boolean> {
    if (this.closing !== undefined) return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const status = this.redis.status;
    if (status === 'end') return;
    const ended = new Promise<void>((resolve) => this.redis.once('end', () => resolve()));
    if (status === 'ready') {
      // QUIT lets the replies of calls still in flight arrive before the connection closes.
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      // QUIT would wait in the offline queue for a connection that may never come.
      this.redis.disconnect();
      // Between reconnection attempts there is no socket to close: disconnect() cleared the timer
      // and no 'end' will come.
      if (status === 'reconnecting') return;
    }
    // Resolving once the socket is gone leaves nothing behind that keeps the process alive.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
  }
}
