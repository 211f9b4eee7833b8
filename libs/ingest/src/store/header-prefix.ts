import { DicomParseError, type DatasetReadResult } from '@pacs/dicom';

/** The first chunks of a stream, read until the DICOM header in them parses. */
export interface HeaderPrefix<T extends DatasetReadResult & { status: 'complete' }> {
  readonly result: T;
  /** Every chunk read so far, in order: they must be stored before the rest of the stream. */
  readonly chunks: readonly Buffer[];
  /** Whether the stream ended within the prefix. */
  readonly ended: boolean;
}

/** Largest header read into memory; pixel data never is (the parse stops before it). */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024;

/**
 * Pulls chunks from the iterator until `parse` answers complete on their concatenation (read as a
 * prefix while the stream goes on, as a whole once it ended), so that the attributes are known
 * before the bytes are streamed on to storage. The rest of the stream stays in the iterator.
 */
export async function readHeaderPrefix<T extends DatasetReadResult & { status: 'complete' }>(
  iterator: AsyncIterator<Buffer>,
  parse: (bytes: Buffer, final: boolean) => T | (DatasetReadResult & { status: 'need-more-bytes' }),
): Promise<HeaderPrefix<T>> {
  const chunks: Buffer[] = [];
  let total = 0;
  let needed = 1;
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      const result = parse(Buffer.concat(chunks, total), true);
      // With final=true the reader throws TRUNCATED rather than asking for more.
      if (result.status !== 'complete')
        throw new DicomParseError('TRUNCATED', 'the data set ends inside its header', total);
      return { result, chunks, ended: true };
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    total += chunk.length;
    if (total < needed) continue;
    const result = parse(chunks.length === 1 ? chunk : Buffer.concat(chunks, total), false);
    if (result.status === 'complete') return { result, chunks, ended: false };
    needed = Math.max(result.needed, total + 1);
    if (needed > MAX_HEADER_BYTES) {
      throw new DicomParseError('INVALID_LENGTH', `the header is larger than ${MAX_HEADER_BYTES} bytes`, total);
    }
  }
}
