import type { Cache, Lock } from './cache.port';

/**
 * Takes the named lock, retrying with a short growing pause while another holder has it; rejects
 * once `waitMs` passed. Holders keep locks briefly (one instance's decision), so polling is cheap
 * and needs nothing beyond the port's set-if-absent semantics.
 */
export async function acquireLockWithin(cache: Cache, name: string, ttlMs: number, waitMs: number): Promise<Lock> {
  const deadline = Date.now() + waitMs;
  let pause = 1;
  for (;;) {
    const lock = await cache.acquireLock(name, ttlMs);
    if (lock) return lock;
    if (Date.now() >= deadline) throw new Error(`lock "${name}" still held by another holder after ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 50);
  }
}
