/** Error of a blob store, with a stable code and whether a retry can help. */
export class BlobStoreError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_KEY' | 'INVALID_RANGE' | 'CHECKSUM_MISMATCH' | 'OUT_OF_SPACE' | 'IO_ERROR',
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BlobStoreError';
  }
}
