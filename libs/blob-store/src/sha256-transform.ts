import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { BlobStoreError } from './blob-store.errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks and lower-cases a hex SHA-256 digest; a malformed one can never match, so it fails the put. */
export function normalizeSha256(hex: string): string {
  const lower = typeof hex === 'string' ? hex.toLowerCase() : '';
  if (!SHA256_HEX.test(lower)) {
    throw new BlobStoreError(
      'CHECKSUM_MISMATCH',
      `expectedSha256 is not a 64-digit hex SHA-256: ${String(hex)}`,
      false,
    );
  }
  return lower;
}

/**
 * Pass-through that hashes and counts the bytes flowing through it. When an expected digest is
 * given, a mismatch fails the stream in `_flush`, that is before the end of the stream reaches the
 * sink: a sink that commits only at the end (rename of a temp file, multipart completion) then never
 * commits, so a corrupt body never becomes visible.
 */
export class Sha256Transform extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  constructor(private readonly expectedSha256?: string) {
    super();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.bytes;
  }

  /** Lowercase hex digest; only once the stream has ended. */
  get sha256(): string {
    if (this.digest === undefined)
      throw new Error('Sha256Transform: the digest is known only once the stream has ended');
    return this.digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    if (this.expectedSha256 !== undefined && this.digest !== this.expectedSha256) {
      callback(
        new BlobStoreError(
          'CHECKSUM_MISMATCH',
          `SHA-256 of the body is ${this.digest}, expected ${this.expectedSha256}`,
          false,
        ),
      );
      return;
    }
    callback();
  }
}

// Errors raised while reading the caller's body, as opposed to the store's own errors.
const bodyErrors = new WeakSet<object>();

/**
 * The body as a byte stream whose read errors are remembered, so that `put` can reject with the
 * body's own error (the caller's stream failed: the client went away, the upstream broke) rather
 * than dress it up as a storage failure. Tell them apart with `isBodyError`.
 */
export function bodySource(body: Readable | AsyncIterable<Uint8Array>): Readable {
  // objectMode off: the stream then buffers by bytes (highWaterMark 64 KiB), not 16 chunks of any size.
  return Readable.from(bodyChunks(body), { objectMode: false });
}

/** The body's chunks, as `bodySource` but without a stream around them (for a sink that pulls). */
export async function* bodyChunks(body: Readable | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    const tagged = isObject(error) ? error : new Error(String(error));
    bodyErrors.add(tagged);
    throw tagged;
  }
}

/** Whether an error came from reading the caller's body (see `bodySource`). */
export function isBodyError(error: unknown): boolean {
  return isObject(error) && bodyErrors.has(error);
}

// Not `instanceof Object`, which is false for objects of another realm (Node's modules under Jest).
function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
