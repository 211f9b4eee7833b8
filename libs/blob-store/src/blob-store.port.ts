import type { Readable } from 'node:stream';

export const BLOB_STORE = Symbol('BLOB_STORE');

/** What a completed write stored. */
export interface StoredBlob {
  readonly key: string;
  readonly size: number;
  /** SHA-256 of the bytes, lowercase hex, computed while streaming. */
  readonly sha256: string;
}

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/** Inclusive byte range, as in HTTP Range; `end` defaults to the last byte. */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface PutOptions {
  readonly contentType?: string;
  /** When given, a mismatch fails the write and nothing becomes visible. */
  readonly expectedSha256?: string;
}

/**
 * Object storage for DICOM bytes. Keys are `/`-separated relative paths of safe characters.
 * A write is atomic: the object becomes visible only complete and durable.
 */
export interface BlobStore {
  /** Streams the body to the key; resolves once durable; replaces an existing object atomically. */
  put(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /** Streams the object or a byte range of it; rejects with BlobNotFoundError when absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size and modification time, or null when absent. */
  head(key: string): Promise<BlobInfo | null>;
  /** Removes the object; no error when absent. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix, in lexical order. */
  list(prefix: string): AsyncIterable<string>;
  /** Whether the store answers. */
  isHealthy(): Promise<boolean>;
  /** Releases resources. */
  close(): Promise<void>;
}
