import { PIXEL_DATA_TAG, type DatasetReadComplete } from '@pacs/dicom';

/**
 * Where a data set must at least extend to, judged from its header: the end of a defined-length
 * Pixel Data value (native pixels, PS3.5 A.1). The header parse stops before Pixel Data and the
 * rest is streamed to storage unread, so a sender that stops inside the pixels would otherwise be
 * stored as complete. `need-more` asks for the bytes of the Pixel Data element header.
 * Undefined: nothing to check here (no pixel data, encapsulated fragments, or a deflated syntax).
 */
export function minimumStreamLength(result: DatasetReadComplete): number | 'need-more' | undefined {
  if (result.stoppedAt !== PIXEL_DATA_TAG || result.transferSyntax.deflated) return undefined;
  const bytes = result.dataset.bytes;
  const headerLength = result.encoding.explicitVr ? 12 : 8;
  if (bytes.length < result.end + headerLength) return 'need-more';
  const lengthAt = result.end + headerLength - 4;
  const length = result.encoding.littleEndian ? bytes.readUInt32LE(lengthAt) : bytes.readUInt32BE(lengthAt);
  // Undefined length: encapsulated fragments, ended by a sequence delimiter (PS3.5 A.4).
  if (length === 0xffffffff) return undefined;
  return result.end + headerLength + length;
}
