/**
 * Checks a TTL in milliseconds: a positive finite number, rounded up to a whole millisecond (Redis
 * PX takes integers; rounding down could turn 0.5 into "no expiry" or an error). Throws RangeError.
 */
export function validateTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`TTL must be a positive number of milliseconds, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}
