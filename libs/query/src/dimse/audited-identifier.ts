import { formatTag, isGroupLengthTag, keywordOf, type DicomDataset } from '@pacs/dicom';
import type { AuditedIdentifier } from './query-retrieve-audit.port';
import { rawValue } from './find-query';

/**
 * A C-FIND identifier as its audit record keeps it (PS3.15 A.5.3.10): the bytes as received, and
 * for readers the keys that carry a value (matching keys, Query/Retrieve Level, Specific Character
 * Set), by keyword, values decoded in the identifier's character set. Sequences and values that
 * cannot be read are left out of the readable keys; the bytes hold them.
 */
export function auditedIdentifier(identifier: DicomDataset, transferSyntaxUid: string): AuditedIdentifier {
  const keys: Record<string, string> = {};
  for (const element of identifier) {
    if (isGroupLengthTag(element.tag) || element.vr === 'SQ' || element.length === 0) continue;
    let value: string;
    try {
      value = rawValue(identifier, element);
    } catch {
      continue;
    }
    if (value !== '') keys[keywordOf(element.tag) ?? formatTag(element.tag)] = value;
  }
  return { bytes: identifier.bytes, transferSyntaxUid, keys };
}
