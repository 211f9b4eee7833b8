import { createHash } from 'node:crypto';

/**
 * A forward job's id, the same for the same cause: so that an event delivered twice (at least
 * once) creates its jobs once. 32 hex digits of SHA-256 over the parts.
 */
export function forwardJobId(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.map(String).join('\0')).digest('hex').slice(0, 32);
}
