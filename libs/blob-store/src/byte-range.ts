import type { ByteRange } from './blob-store.port';
import { BlobStoreError } from './blob-store.errors';

/** A range resolved against an object's size: both ends inclusive and inside the object. */
export interface ResolvedRange {
  readonly start: number;
  readonly end: number;
}

function invalidRange(message: string): BlobStoreError {
  return new BlobStoreError('INVALID_RANGE', message, false);
}

/** Checks the shape of a range before any I/O: non-negative integers, end not before start. */
export function validateRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw invalidRange(`Invalid range start ${start}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw invalidRange(`Invalid range end ${end} for start ${start}`);
  }
}

/**
 * Resolves a range against the size as HTTP does (RFC 9110 14.1.2), which is also what S3 does: a
 * start at or beyond the end is unsatisfiable; an end beyond the last byte is clamped to it. The FS
 * and S3 stores therefore agree on every range.
 */
export function resolveRange(range: ByteRange | undefined, size: number): ResolvedRange | undefined {
  if (range === undefined) return undefined;
  validateRange(range);
  if (range.start >= size) throw invalidRange(`Range start ${range.start} is not before the size ${size}`);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** The HTTP Range header value of a validated range. */
export function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end ?? ''}`;
}
