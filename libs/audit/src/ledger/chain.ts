import { createHash } from 'node:crypto';
import type { AuditRecord } from '@pacs/audit-store';

/** The prevHash of a tenant's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: everything the record says, and the previous link. */
export type ChainedContent = Omit<AuditRecord, 'hash'>;

/**
 * The SHA-256 link of a record: hex digest of `pacs-audit-v1\n` + the canonical JSON of the record's
 * content with the previous record's hash. Changing any field of a stored record, or removing or
 * reordering records, breaks the link of that record or of the next one.
 */
export function chainHash(content: ChainedContent): string {
  return createHash('sha256')
    .update('pacs-audit-v1\n')
    .update(
      canonicalJson({
        tenantId: content.tenantId,
        seq: content.seq,
        eventId: content.eventId,
        recordedAt: content.recordedAt,
        event: content.event,
        prevHash: content.prevHash,
      }),
    )
    .digest('hex');
}

/**
 * JSON with object keys sorted at every level and no insignificant space, so that equal values hash
 * equally whatever the order their fields were written in (a store may give them back reordered).
 * `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
}
