import { BlobStoreError } from './blob-store.errors';

// One segment: the characters of DICOM UIDs, hex digests and dates, nothing a shell, URL or
// filesystem would reinterpret. A leading dot is refused so that `.` and `..` can never walk out of
// the store and so that adapters can keep their own files (the FS store's `.tmp`) beside the keys.
const SEGMENT = /^[A-Za-z0-9_=-][A-Za-z0-9._=-]*$/;
const PARTIAL_SEGMENT = /^[A-Za-z0-9._=-]*$/;

/** S3's limit on a key, in bytes; keys are ASCII so characters and bytes agree. */
export const MAX_KEY_LENGTH = 1024;
/** The usual limit on one file name (ext4, xfs, NTFS). */
export const MAX_SEGMENT_LENGTH = 255;

function invalidKey(what: string, value: string, reason: string): BlobStoreError {
  return new BlobStoreError('INVALID_KEY', `Invalid blob ${what} ${JSON.stringify(value)}: ${reason}`, false);
}

/**
 * Checks a key: a relative `/`-separated path of [A-Za-z0-9._=-] segments, no empty segment, no
 * segment starting with a dot, no leading or trailing slash. Throws INVALID_KEY.
 */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw invalidKey('key', String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw invalidKey('key', key.slice(0, 64), `longer than ${MAX_KEY_LENGTH}`);
  if (key.startsWith('/')) throw invalidKey('key', key, 'must be relative');
  for (const segment of key.split('/')) checkSegment('key', key, segment);
  return key;
}

/**
 * Checks a list prefix: '' (everything), or complete segments followed by an optional partial one
 * (`studies/1.2.`) or a trailing slash (`studies/`). Throws INVALID_KEY.
 */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw invalidKey('prefix', String(prefix), 'not a string');
  if (prefix.length === 0) return prefix;
  if (prefix.length > MAX_KEY_LENGTH) throw invalidKey('prefix', prefix.slice(0, 64), `longer than ${MAX_KEY_LENGTH}`);
  if (prefix.startsWith('/')) throw invalidKey('prefix', prefix, 'must be relative');
  const segments = prefix.split('/');
  const partial = segments.pop() ?? '';
  for (const segment of segments) checkSegment('prefix', prefix, segment);
  if (!PARTIAL_SEGMENT.test(partial)) throw invalidKey('prefix', prefix, 'unsupported character');
  return prefix;
}

function checkSegment(what: string, value: string, segment: string): void {
  if (segment.length === 0) throw invalidKey(what, value, 'empty path segment');
  if (segment.length > MAX_SEGMENT_LENGTH) throw invalidKey(what, value, `segment longer than ${MAX_SEGMENT_LENGTH}`);
  if (segment.startsWith('.')) throw invalidKey(what, value, 'segment starts with a dot');
  if (!SEGMENT.test(segment)) throw invalidKey(what, value, 'unsupported character (allowed: A-Z a-z 0-9 . _ = -)');
}
