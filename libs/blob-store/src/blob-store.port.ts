import type { Readable } from 'node:stream';

export const BLOB_STORE = Symbol('BLOB_STORE');

/** What a completed write stored. */
export interface StoredBlob {
  /** The key written. */
  readonly key: string;
  /** Bytes stored. */
  readonly size: number;
  /** SHA-256 of the bytes, lowercase hex, computed while streaming. */
  readonly sha256: string;
}

/** What `head` knows about a stored object. */
export interface BlobInfo {
  /** The key asked for. */
  readonly key: string;
  /** Bytes stored. */
  readonly size: number;
  /** When the current version was written. */
  readonly modifiedAt: Date;
  /** SHA-256 (lowercase hex) when the store recorded it beside the object (S3 metadata); else absent. */
  readonly sha256?: string;
}

/** Inclusive byte range, as in HTTP Range; `end` defaults to the last byte and is clamped to it. */
export interface ByteRange {
  /** First byte, from 0; at or beyond the size the range is unsatisfiable (INVALID_RANGE). */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end?: number;
}

/**
 * A stored object opened for reading at offsets into the caller's memory (BlobStore.open): what a
 * sender that reuses its buffers needs, where a stream hands out a new buffer per chunk.
 */
export interface BlobReadHandle {
  /** Bytes of the version opened: an overwrite meanwhile does not change what this handle reads. */
  readonly size: number;
  /**
   * Reads up to `length` bytes at `position` into `target` from `offset`; resolves with the count, 0
   * at the end. An I/O failure rejects with a BlobStoreError.
   */
  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Lets go of the object once the reads begun have ended; reads after it are refused, closing again does nothing. */
  close(): Promise<void>;
}

/** Options of a write. */
export interface PutOptions {
  /** MIME type, kept where the store supports it (S3 Content-Type). */
  readonly contentType?: string;
  /** Hex SHA-256 the body must have: a mismatch fails the write (CHECKSUM_MISMATCH) and nothing becomes visible. */
  readonly expectedSha256?: string;
}

/**
 * Object storage for DICOM bytes. Keys are `/`-separated relative paths of [A-Za-z0-9._=-]
 * segments (no empty segment, none starting with a dot). A write is atomic: the object becomes
 * visible only complete and durable. Failures are BlobStoreError, except that a put whose body fails
 * rejects with the body's own error.
 */
export interface BlobStore {
  /** Streams the body to the key; resolves once durable; replaces an existing object atomically. */
  put(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /** Streams the object or a byte range of it; rejects with NOT_FOUND when absent, INVALID_RANGE when unsatisfiable. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Opens the object for reads at offsets (BlobReadHandle); rejects with NOT_FOUND when absent.
   * Offered by stores that read random-access files (the filesystem), not by those that only stream
   * (S3): callers fall back to `get`.
   */
  open?(key: string): Promise<BlobReadHandle>;
  /** Size and modification time, or null when absent. */
  head(key: string): Promise<BlobInfo | null>;
  /** Removes the object; no error when absent. */
  delete(key: string): Promise<void>;
  /** Keys starting with the prefix (a plain string prefix, as in S3), in lexical order. */
  list(prefix: string): AsyncIterable<string>;
  /** Prepares the store at start: creates the root or bucket when missing, clears a crash's leftovers. */
  start(): Promise<void>;
  /** Whether the store answers. */
  isHealthy(): Promise<boolean>;
  /** Releases resources. */
  close(): Promise<void>;
}
