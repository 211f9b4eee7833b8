import { randomBytes } from 'node:crypto';

/**
 * Folder of every stored copy (version) of one instance in the hot tier. A folder per instance
 * keeps the listing of an instance's copies (every store lists them, for duplicates) as short as
 * the copies themselves; in the series folder it would read the whole series each time.
 */
export function instancePrefix(
  tenantId: string,
  uids: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string },
): string {
  return `${tenantId}/${uids.studyInstanceUid}/${uids.seriesInstanceUid}/${uids.sopInstanceUid}/`;
}

/**
 * Key of one received copy: the instance folder plus a receipt id that sorts by arrival time
 * (UTC, to the millisecond) and is unique, so a copy is written without knowing what is there.
 */
export function receiptKey(prefix: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${stamp}-${randomBytes(6).toString('hex')}.dcm`;
}
