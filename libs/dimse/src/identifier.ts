import type { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { isDicomParseError, readDataset, transferSyntaxOf, type DicomDataset } from '@pacs/dicom';
import { DimseStatusError } from './dimse.errors';
import { DimseStatus } from './dimse-status';

/** Largest request identifier we buffer: identifiers are a few keys, never bulk data. */
export const MAX_IDENTIFIER_LENGTH = 1024 * 1024;

/** Failed SOP Instance UID List (0008,0058), VR UI (PS3.4 C.4.2.1.4.2, C.4.3.1.3.2). */
const FAILED_SOP_INSTANCE_UID_LIST = 0x00080058;

/**
 * Reads the identifier of a C-FIND, C-GET or C-MOVE request (PS3.7 9.1.2-9.1.4: it is mandatory)
 * in the transfer syntax of its presentation context. A missing or unreadable identifier answers
 * A900 (identifier does not match SOP class); one over MAX_IDENTIFIER_LENGTH bytes A700.
 */
export async function readIdentifier(dataset: Readable | undefined, transferSyntaxUid: string): Promise<DicomDataset> {
  if (!dataset) throw new DimseStatusError(DimseStatus.IdentifierDoesNotMatchSopClass, 'the request has no identifier');
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of dataset) {
    const part = chunk as Buffer;
    length += part.length;
    if (length > MAX_IDENTIFIER_LENGTH) {
      // The rest is discarded by the association before it answers.
      throw new DimseStatusError(DimseStatus.OutOfResources, `identifier over ${MAX_IDENTIFIER_LENGTH} bytes`);
    }
    // Copied: the chunks are views of socket buffers.
    parts.push(Buffer.from(part));
  }
  try {
    const read = readDataset(Buffer.concat(parts, length), { transferSyntax: transferSyntaxUid });
    // With final (the default) the reader throws TRUNCATED rather than asking for more.
    return (read as Extract<typeof read, { status: 'complete' }>).dataset;
  } catch (error) {
    if (!isDicomParseError(error)) throw error;
    throw new DimseStatusError(DimseStatus.IdentifierDoesNotMatchSopClass, `unreadable identifier: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * The identifier of a final C-GET/C-MOVE response that lists the failed sub-operations: one
 * element, Failed SOP Instance UID List (0008,0058) (PS3.4 C.4.2.1.4.2, C.4.3.1.3.2), in the transfer
 * syntax of the request's context. In explicit VR its 16-bit length holds about a thousand UIDs:
 * the list is cut there (the counts in the command still say how many failed).
 */
export function encodeFailedSopInstanceUidList(uids: readonly string[], transferSyntaxUid: string): Buffer {
  const syntax = transferSyntaxOf(transferSyntaxUid);
  const explicitVr = syntax?.explicitVr ?? false;
  const littleEndian = syntax?.littleEndian ?? true;
  const max = explicitVr ? 0xfffe : 0xfffffffe;
  let text = '';
  for (const uid of uids) {
    const next = text === '' ? uid : `${text}\\${uid}`;
    if (next.length > max) break;
    text = next;
  }
  const value = Buffer.from(text.length % 2 === 1 ? `${text}\0` : text, 'latin1');
  const header = Buffer.alloc(8);
  const group = FAILED_SOP_INSTANCE_UID_LIST >>> 16;
  const element = FAILED_SOP_INSTANCE_UID_LIST & 0xffff;
  if (littleEndian) {
    header.writeUInt16LE(group, 0);
    header.writeUInt16LE(element, 2);
  } else {
    header.writeUInt16BE(group, 0);
    header.writeUInt16BE(element, 2);
  }
  if (explicitVr) {
    header.write('UI', 4, 'latin1');
    if (littleEndian) header.writeUInt16LE(value.length, 6);
    else header.writeUInt16BE(value.length, 6);
  } else {
    header.writeUInt32LE(value.length, 4);
  }
  const bytes = Buffer.concat([header, value]);
  // Deflated Explicit VR Little Endian: the whole data set is deflated (PS3.5 A.5).
  return syntax?.deflated ? deflateRawSync(bytes) : bytes;
}
