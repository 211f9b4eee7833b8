import type { BlobStore } from '@pacs/blob-store';
import type { DicomJsonDataset } from '@pacs/dicom';
import { instanceMetadata, type InstanceMetadataOptions } from './instance-metadata';
import { readStoredHeader, type ReadStoredHeaderOptions } from './read-stored-header';

/** The stored copy whose metadata is wanted, as `instance.stored` describes it. */
export interface StoredCopy {
  readonly sopInstanceUid: string;
  readonly blob: { readonly key: string; readonly size: number };
}

/** A stored copy whose bytes are not the instance the event names. */
export class StoredCopyMismatchError extends Error {
  readonly code = 'STORED_COPY_MISMATCH';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'StoredCopyMismatchError';
  }
}

/**
 * Builds the metadata of a stored copy from the blob store: its header read with ranged reads up
 * to the pixel data (readStoredHeader), then instanceMetadata. Rejects when the copy cannot be
 * read or parsed, or holds another SOP Instance than announced.
 */
export class InstanceMetadataReader {
  constructor(
    private readonly blobStore: BlobStore,
    private readonly options: InstanceMetadataOptions & ReadStoredHeaderOptions = {},
  ) {}

  async read(copy: StoredCopy): Promise<DicomJsonDataset> {
    const { read } = await readStoredHeader(this.blobStore, copy.blob.key, copy.blob.size, this.options);
    const sopInstanceUid = read.dataset.string('SOPInstanceUID');
    if (sopInstanceUid !== copy.sopInstanceUid) {
      throw new StoredCopyMismatchError(
        `${copy.blob.key} holds SOP Instance ${sopInstanceUid ?? '(none)'}, not ${copy.sopInstanceUid}`,
      );
    }
    return instanceMetadata(read, this.options);
  }
}
