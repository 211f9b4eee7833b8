import { Readable } from 'node:stream';
import { MultipartFraming, type MultipartFramingOptions } from './multipart-framing';
import type { PartHeaders } from './part-headers';

/** How a MultipartWriter encodes. */
export interface MultipartWriterOptions extends MultipartFramingOptions {
  /** Bytes the encoded stream buffers before addPart waits for its reader (default: Node's, 64 KiB). */
  readonly highWaterMark?: number;
}

/** A part body: bytes, or a stream of bytes (read once, with back-pressure). */
export type PartBody = Uint8Array | Readable | AsyncIterable<Uint8Array>;

/**
 * Encodes a multipart/related body (RFC 2046 5.1.1, RFC 2387) as a byte stream, as WADO-RS answers
 * (PS3.18 10.4): pipe it to the response, with `contentType` as its Content-Type. Parts are written
 * in the order of the addPart calls; each call resolves once its bytes are in this stream's buffer,
 * so a producer that awaits it never runs ahead of a slow reader. If a part's body fails, or this
 * stream is destroyed (the client went away), the stream errors without its close delimiter, so the
 * reader sees a truncated body rather than a complete one with a short part.
 */
export class MultipartWriter extends Readable {
  /** The boundary between the parts. */
  readonly boundary: string;
  /** The Content-Type header value of the body, boundary included. */
  readonly contentType: string;
  private readonly framing: MultipartFraming;
  private queue: Promise<void> = Promise.resolve();
  private parts = 0;
  private ended = false;
  private demand: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(options: MultipartWriterOptions) {
    super(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark });
    this.framing = new MultipartFraming(options);
    this.boundary = this.framing.boundary;
    this.contentType = this.framing.contentType;
  }

  /** Parts added so far. */
  get partCount(): number {
    return this.parts;
  }

  /**
   * Appends a part. Resolves once its bytes have been handed to this stream's reader (or buffered
   * within the high-water mark); rejects, and destroys this stream, if its body fails.
   * Throws a TypeError at once for a header name that is no token or a value with CR, LF or NUL.
   */
  addPart(headers: PartHeaders, body: PartBody): Promise<void> {
    if (this.ended) return Promise.reject(new Error('MultipartWriter.addPart() called after end()'));
    const head = this.framing.head(this.parts, headers);
    this.parts += 1;
    return this.enqueue(async () => {
      await this.send(head);
      if (ArrayBuffer.isView(body)) {
        await this.send(asBuffer(body));
        return;
      }
      for await (const chunk of body as AsyncIterable<unknown>) {
        if (!ArrayBuffer.isView(chunk)) throw new TypeError('A part body must yield bytes, not text');
        await this.send(asBuffer(chunk));
      }
    });
  }

  /** Writes the close delimiter and ends the stream, once the parts added before have been written. */
  end(): Promise<void> {
    if (this.ended) return this.queue;
    this.ended = true;
    const close = this.framing.close(this.parts);
    return this.enqueue(async () => {
      await this.send(close);
      this.push(null);
    });
  }

  override _read(): void {
    const demand = this.demand;
    this.demand = undefined;
    demand?.resolve();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const demand = this.demand;
    this.demand = undefined;
    demand?.reject(error ?? new Error('The multipart stream was destroyed'));
    callback(error);
  }

  // Runs tasks one after the other; a failed task destroys the stream, so those after it fail too.
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((error: unknown) => {
      // Not `instanceof Error`, which is false for errors of another realm (Node's own under Jest).
      const failure = typeof error === 'object' && error !== null ? (error as Error) : new Error(String(error));
      if (!this.destroyed) this.destroy(failure);
      throw failure;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async send(bytes: Buffer): Promise<void> {
    if (this.destroyed) throw new Error('The multipart stream was destroyed');
    if (bytes.length === 0) return;
    if (!this.push(bytes)) {
      await new Promise<void>((resolve, reject) => {
        this.demand = { resolve, reject };
      });
    }
  }
}

function asBuffer(bytes: ArrayBufferView): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
