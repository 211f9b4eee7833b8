/** Stable codes of metadata index failures. */
export type MetadataIndexErrorCode = 'INVALID_INSTANCE' | 'INVALID_ARGUMENT' | 'SCHEMA_TOO_NEW';

/**
 * Error of a metadata index, with a stable code and whether a retry can help. Bad input (an
 * instance or an argument the index cannot take) is never retriable: the indexer dead-letters it.
 */
export class MetadataIndexError extends Error {
  constructor(
    readonly code: MetadataIndexErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MetadataIndexError';
  }
}
