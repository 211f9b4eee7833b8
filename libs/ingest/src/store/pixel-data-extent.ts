import { PIXEL_DATA_TAG, type DatasetReadComplete } from '@pacs/dicom';

/** What the rest of the stream must hold, judged from the Pixel Data element header. */
export type PixelDataExtent =
  /** Native pixels (PS3.5 A.1): the stream must reach at least this many bytes. */
  | { readonly kind: 'defined'; readonly minimumLength: number }
  /** Encapsulated fragments (PS3.5 A.4) from this stream position, up to a sequence delimiter. */
  | { readonly kind: 'encapsulated'; readonly firstItemAt: number };

/**
 * Where a data set must extend to, from its header. The header parse stops before Pixel Data and
 * the rest is streamed to storage unread, so a sender that stops inside the pixels would otherwise
 * be stored as complete. `need-more` asks for the bytes of the Pixel Data element header.
 * Undefined: nothing to check (no pixel data, or a deflated syntax, whose positions are inflated ones).
 */
export function pixelDataExtent(result: DatasetReadComplete): PixelDataExtent | 'need-more' | undefined {
  if (result.stoppedAt !== PIXEL_DATA_TAG || result.transferSyntax.deflated) return undefined;
  const bytes = result.dataset.bytes;
  const headerLength = result.encoding.explicitVr ? 12 : 8;
  if (bytes.length < result.end + headerLength) return 'need-more';
  const lengthAt = result.end + headerLength - 4;
  const length = result.encoding.littleEndian ? bytes.readUInt32LE(lengthAt) : bytes.readUInt32BE(lengthAt);
  if (length === 0xffffffff) return { kind: 'encapsulated', firstItemAt: result.end + headerLength };
  return { kind: 'defined', minimumLength: result.end + headerLength + length };
}
