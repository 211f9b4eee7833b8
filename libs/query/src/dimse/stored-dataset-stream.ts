import { Readable } from 'node:stream';
import type { BlobStore } from '@pacs/blob-store';
import { readPart10Header } from '@pacs/dicom';

/** The File Meta Information of a stored copy is at most this large (it is a few hundred bytes). */
const MAX_META_BYTES = 1024 * 1024;

/**
 * The data set of a stored copy, as a C-STORE sub-operation sends it: the blob (a Part 10 file,
 * PS3.10 7.1) without its preamble and File Meta Information, streamed from the blob store, only
 * the first chunks held while the header is read. Rejects (before anything is sent) when the blob
 * is missing, is not DICOM, or is in another transfer syntax than the index says.
 */
export async function openStoredDataset(
  blobStore: BlobStore,
  key: string,
  transferSyntaxUid: string,
): Promise<Readable> {
  const blob = await blobStore.get(key);
  const iterator = (blob as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else {
        chunks.push(next.value);
        length += next.value.length;
      }
      const prefix = Buffer.concat(chunks, length);
      const header = readPart10Header(prefix, { final: ended });
      if (header.status === 'complete') {
        const stored = header.header.transferSyntax.uid;
        if (stored !== transferSyntaxUid) {
          throw new Error(`blob ${key} is in ${stored}, the index says ${transferSyntaxUid}`);
        }
        const rest = prefix.subarray(header.header.dataSetOffset);
        return Readable.from(remainder(rest, ended ? undefined : iterator), { objectMode: false });
      }
      if (length > MAX_META_BYTES) throw new Error(`blob ${key}: no end of the file meta group in ${length} bytes`);
    }
  } catch (error) {
    blob.destroy();
    throw error;
  }
}

async function* remainder(first: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  try {
    if (first.length > 0) yield first;
    if (!rest) return;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // A consumer that stops early (a failed sub-operation) closes the blob stream.
    await rest?.return?.();
  }
}
