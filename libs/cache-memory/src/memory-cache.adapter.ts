import { randomBytes } from 'node:crypto';
import { validateTtl, type Cache, type Lock } from '@pacs/cache';

/** Options of the in-memory cache. */
export interface MemoryCacheOptions {
  /** How often expired entries are dropped, in ms (default 30 000); reads drop them lazily anyway. */
  readonly sweepIntervalMs?: number;
  /** The clock, in ms; tests may inject one (default Date.now). */
  readonly now?: () => number;
}

interface Entry {
  readonly value: string;
  /** Epoch ms; Infinity for no expiry. */
  readonly expiresAt: number;
}

/**
 * Cache of the embedded shape: one process, so a Map is the whole coordination story. Locks and
 * values live in separate maps, as they do in separate key spaces in Redis.
 */
export class MemoryCache implements Cache {
  private readonly values = new Map<string, Entry>();
  private readonly locks = new Map<string, Entry>();
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? 30_000;
    // Without the sweep, keys written once and never read again (idempotency keys) would stay forever.
    this.sweeper = setInterval(() => this.sweep(), interval);
    // The sweep must not keep a process alive that has nothing else to do.
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(this.values, key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.assertOpen();
    this.values.set(key, { value, expiresAt: this.expiry(ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    this.assertOpen();
    const expiresAt = this.expiry(ttlMs);
    if (this.live(this.values, key)) return false;
    this.values.set(key, { value, expiresAt });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.values.delete(key);
  }

  async acquireLock(name: string, ttlMs: number): Promise<Lock | null> {
    this.assertOpen();
    const expiresAt = this.now() + validateTtl(ttlMs);
    if (this.live(this.locks, name)) return null;
    // Random, not a counter: a token must not be guessable or reused across restarts.
    const token = randomBytes(16).toString('hex');
    this.locks.set(name, { value: token, expiresAt });
    return {
      name,
      token,
      release: async () => {
        if (this.live(this.locks, name)?.value !== token) return false;
        this.locks.delete(name);
        return true;
      },
      extend: async (extendTtlMs: number) => {
        const expiry = this.now() + validateTtl(extendTtlMs);
        if (this.live(this.locks, name)?.value !== token) return false;
        this.locks.set(name, { value: token, expiresAt: expiry });
        return true;
      },
    };
  }

  async isHealthy(): Promise<boolean> {
    return this.sweeper !== undefined;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.values.clear();
    this.locks.clear();
  }

  /** Drops expired entries; the timer calls it, tests may too. */
  sweep(): void {
    const now = this.now();
    for (const map of [this.values, this.locks]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }

  private live(map: Map<string, Entry>, key: string): Entry | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    map.delete(key);
    return undefined;
  }

  private expiry(ttlMs: number | undefined): number {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : this.now() + validateTtl(ttlMs);
  }

  private assertOpen(): void {
    // A closed Redis cache rejects too; failing the same way keeps a use-after-close bug visible here.
    if (this.sweeper === undefined) throw new Error('MemoryCache is closed');
  }
}
