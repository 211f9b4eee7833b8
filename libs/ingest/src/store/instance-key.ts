import { randomBytes } from 'node:crypto';

/**
 * Key prefix of every stored copy (version) of one instance in the hot tier: its series folder,
 * then the SOP Instance UID and '-', which no UID contains (digits and dots only), so the prefix
 * of one instance is never the prefix of another's copies. The copies sit beside the series'
 * other instances, not in a folder of their own: one folder fewer to create and sync per instance.
 */
export function instancePrefix(
  tenantId: string,
  uids: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string },
): string {
  return `${tenantId}/${uids.studyInstanceUid}/${uids.seriesInstanceUid}/${uids.sopInstanceUid}-`;
}

/**
 * Key of one received copy: the instance prefix plus a receipt id that sorts by arrival time
 * (UTC, to the millisecond) and is unique, so a copy is written without knowing what is there.
 */
export function receiptKey(prefix: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${stamp}-${randomBytes(6).toString('hex')}.dcm`;
}
