import type { BlobStore } from '@pacs/blob-store';
import { DicomParseError, FLOAT_PIXEL_DATA_TAG, readPart10, type Part10ReadResult } from '@pacs/dicom';

/** A Part 10 read that reached the end of the header. */
export type Part10ReadComplete = Extract<Part10ReadResult, { status: 'complete' }>;

/** The header of a stored copy, parsed up to its pixel data. */
export interface StoredHeader {
  readonly read: Part10ReadComplete;
  /** Bytes fetched from the store: the header, and at most as many bytes again. */
  readonly bytesRead: number;
}

export interface ReadStoredHeaderOptions {
  /** The first range read (default 64 KiB: a typical header and the start of its pixel data). */
  readonly firstReadBytes?: number;
  /** Largest header read into memory (default 256 MiB, the gateway's own limit on a header). */
  readonly maxHeaderBytes?: number;
}

const FIRST_READ_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

/**
 * Reads the header of a stored Part 10 copy with ranged reads: a first prefix, then larger ones
 * until readPart10 reaches the first pixel data attribute (Float Pixel Data (7FE0,0008), Double
 * Float Pixel Data (7FE0,0009) or Pixel Data (7FE0,0010) all stop it) or the end of the object.
 * Pixel data is never read beyond the prefix it shares with the header, so an object of any size
 * (over 2 GiB included) costs its header only. Fails with the store's error, a DicomParseError, or
 * INVALID_LENGTH when the header is larger than `maxHeaderBytes`.
 */
export async function readStoredHeader(
  store: BlobStore,
  key: string,
  size: number,
  options: ReadStoredHeaderOptions = {},
): Promise<StoredHeader> {
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  let bytes: Buffer = Buffer.alloc(0);
  let ended = size <= 0;
  let want = Math.min(size, options.firstReadBytes ?? FIRST_READ_BYTES);
  for (;;) {
    if (!ended && want > bytes.length) {
      const more = await readRange(store, key, bytes.length, want - 1);
      const asked = want - bytes.length;
      bytes = bytes.length === 0 ? more : Buffer.concat([bytes, more]);
      // A shorter answer than asked is the end of the object (its size was smaller than said).
      ended = bytes.length >= size || more.length < asked;
    }
    const read = readPart10(bytes, { untilTag: FLOAT_PIXEL_DATA_TAG, final: ended, maxInflatedBytes: maxHeaderBytes });
    if (read.status === 'complete') return { read, bytesRead: bytes.length };
    if (ended) throw new DicomParseError('TRUNCATED', 'the object ends inside its header', bytes.length);
    // Doubling keeps the number of reads logarithmic when the parser's estimate is too small.
    want = Math.min(size, Math.max(read.needed, bytes.length * 2));
    if (want > maxHeaderBytes) {
      throw new DicomParseError('INVALID_LENGTH', `the header is larger than ${maxHeaderBytes} bytes`, bytes.length);
    }
  }
}

async function readRange(store: BlobStore, key: string, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key, { start, end })) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
