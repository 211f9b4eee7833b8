/** Stable codes of blob store failures. */
export type BlobStoreErrorCode =
  'NOT_FOUND' | 'INVALID_KEY' | 'INVALID_RANGE' | 'CHECKSUM_MISMATCH' | 'OUT_OF_SPACE' | 'IO_ERROR';

/** Error of a blob store, with a stable code and whether a retry can help. */
export class BlobStoreError extends Error {
  constructor(
    readonly code: BlobStoreErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BlobStoreError';
  }
}

/** Whether the error is a BlobStoreError, optionally with the given code. */
export function isBlobStoreError(error: unknown, code?: BlobStoreErrorCode): error is BlobStoreError {
  return error instanceof BlobStoreError && (code === undefined || error.code === code);
}

/** The NOT_FOUND error of a key. */
export function blobNotFound(key: string, cause?: unknown): BlobStoreError {
  return new BlobStoreError('NOT_FOUND', `Blob not found: ${key}`, false, { cause });
}
