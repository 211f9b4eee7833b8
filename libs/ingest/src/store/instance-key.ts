import { randomBytes } from 'node:crypto';

/** Folder of every stored copy (version) of one instance in the hot tier. */
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
