export const CACHE = Symbol('CACHE');

/** A lock held until released or until its expiry. */
export interface Lock {
  /** The lock's name, as given to acquireLock. */
  readonly name: string;
  /** Unique to this holder; only the holder can release or extend. */
  readonly token: string;
  /** Releases if still held by this holder; false when it had expired or was taken over. */
  release(): Promise<boolean>;
  /** Pushes the expiry to now + ttlMs if still held; false otherwise. */
  extend(ttlMs: number): Promise<boolean>;
}

/**
 * Cache and coordination: query cache, idempotency keys, locks, rate limits. Values and locks live
 * in separate namespaces (a lock named like a key leaves the key alone). TTLs are positive
 * milliseconds; a non-positive one rejects with RangeError. A backend that does not answer rejects
 * within seconds: callers treat a failing cache as a miss or a failed step, never wait on it.
 */
export interface Cache {
  /** The value, or null when absent or expired. */
  get(key: string): Promise<string | null>;
  /** Stores the value, expiring after ttlMs when given (without ttlMs it never expires). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Stores only if absent (idempotency keys); true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Removes the key; no error when absent. */
  delete(key: string): Promise<void>;
  /** Takes the named lock for ttlMs, or null when another holder has it. */
  acquireLock(name: string, ttlMs: number): Promise<Lock | null>;
  /** Whether the cache answers. */
  isHealthy(): Promise<boolean>;
  /** Closes connections. */
  close(): Promise<void>;
}
