import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export const MiB = 1024 * 1024;

/** Reads a stream to the end into one buffer (small objects only). */
export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Hashes a stream without keeping it: for objects too large to hold. */
export async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Lowercase hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A Readable of the chunks, like a request body. */
export function streamOf(...chunks: Buffer[]): Readable {
  return Readable.from(chunks, { objectMode: false });
}

/** A body that yields `goodBytes` bytes and then fails with `error`, like a client that went away. */
export function failingStream(goodBytes: number, error: Error): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let sent = 0;
    while (sent < goodBytes) {
      const size = Math.min(64 * 1024, goodBytes - sent);
      yield randomBytes(size);
      sent += size;
      await sleep(1);
    }
    throw error;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** A body that yields its chunks with a pause before each, to observe a write in progress. */
export function slowStream(chunks: Buffer[], pauseMs: number): Readable {
  async function* slowly(): AsyncGenerator<Buffer> {
    for (const chunk of chunks) {
      await sleep(pauseMs);
      yield chunk;
    }
  }
  return Readable.from(slowly(), { objectMode: false });
}

/**
 * A large body generated on the fly, never held in memory: chunk i is a fixed random block with i
 * written in its first 8 bytes, so a misplaced or repeated chunk changes the digest, and any byte
 * range can be recomputed with `slice`.
 */
export class GeneratedBody implements AsyncIterable<Buffer> {
  private readonly block: Buffer;
  private digest: string | undefined;

  constructor(
    readonly totalBytes: number,
    readonly chunkBytes = MiB,
  ) {
    this.block = randomBytes(chunkBytes);
  }

  /** The digest of the bytes; once fully iterated (every iteration yields the same bytes). */
  get sha256(): string {
    if (this.digest === undefined) throw new Error('GeneratedBody: not fully read yet');
    return this.digest;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const hash = createHash('sha256');
    for (let offset = 0, index = 0; offset < this.totalBytes; offset += this.chunkBytes, index += 1) {
      const chunk = this.chunk(index).subarray(0, Math.min(this.chunkBytes, this.totalBytes - offset));
      hash.update(chunk);
      yield chunk;
    }
    this.digest = hash.digest('hex');
  }

  /** The bytes from start to end inclusive. */
  slice(start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    for (let position = start; position <= end;) {
      const index = Math.floor(position / this.chunkBytes);
      const from = position - index * this.chunkBytes;
      const to = Math.min(this.chunkBytes, end - index * this.chunkBytes + 1);
      parts.push(this.chunk(index).subarray(from, to));
      position += to - from;
    }
    return Buffer.concat(parts);
  }

  private chunk(index: number): Buffer {
    // A fresh buffer per chunk: a sink may still hold the previous one (S3 part buffers, write queues).
    const chunk = Buffer.from(this.block);
    chunk.writeBigUInt64BE(BigInt(index), 0);
    return chunk;
  }
}

/** Runs `work` while sampling the RSS; returns its result and the peak growth over the RSS at the start. */
export async function measureRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; peakGrowthBytes: number }> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakGrowthBytes: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}
