import { Readable } from 'node:stream';
import { blobNotFound, resolveRange, type BlobInfo, type BlobStore, type ByteRange } from '@pacs/blob-store';

/**
 * A read-only BlobStore for tests of header reads: each key's bytes come from a function of the
 * range asked, so that an object of several GiB costs only what is read; every range read is
 * recorded. Writes are not supported.
 */
export class RangedBlobStore implements BlobStore {
  readonly reads: { key: string; start: number; end: number }[] = [];
  private readonly objects = new Map<string, { size: number; bytes: (start: number, end: number) => Buffer }>();

  /** Adds an object of `size` bytes whose range [start, end] (inclusive) is `bytes(start, end)`. */
  add(key: string, size: number, bytes: (start: number, end: number) => Buffer): this {
    this.objects.set(key, { size, bytes });
    return this;
  }

  /** Adds an object held in memory. */
  addBuffer(key: string, content: Buffer): this {
    return this.add(key, content.length, (start, end) => content.subarray(start, end + 1));
  }

  /** The highest byte offset read so far, plus one (0 before any read). */
  get readUpTo(): number {
    return Math.max(0, ...this.reads.map((r) => r.end + 1));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const object = this.objects.get(key);
    if (!object) throw blobNotFound(key);
    const { start, end } = resolveRange(range, object.size) ?? { start: 0, end: object.size - 1 };
    this.reads.push({ key, start, end });
    return Readable.from([object.bytes(start, end)]);
  }

  async head(key: string): Promise<BlobInfo | null> {
    const object = this.objects.get(key);
    return object ? { key, size: object.size, modifiedAt: new Date(0) } : null;
  }

  async *list(prefix: string): AsyncIterable<string> {
    for (const key of [...this.objects.keys()].sort()) if (key.startsWith(prefix)) yield key;
  }

  async put(): Promise<never> {
    throw new Error('RangedBlobStore is read-only');
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async start(): Promise<void> {}

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
