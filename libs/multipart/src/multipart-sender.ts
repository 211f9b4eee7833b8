import { finished, Readable, type Writable } from 'node:stream';
import { MultipartFraming, type MultipartFramingOptions } from './multipart-framing';
import type { PartHeaders } from './part-headers';
import type { PartBody } from './multipart-writer';

/**
 * A part body read at offsets into the sender's own buffers: a stored file, through a handle opened
 * on it. The sender reads it from byte 0 to `size` and closes it, whether the part was sent or not.
 */
export interface RandomAccessBody {
  /** Bytes of the body. */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `target` from `offset`; resolves with the count, 0 at the end. */
  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Lets go of what the body holds (a file descriptor). */
  close(): Promise<void>;
}

/** A part as MultipartSender takes it. */
export interface SentPart {
  readonly headers: PartHeaders;
  readonly body: PartBody | RandomAccessBody;
}

/** How a MultipartSender encodes, and the memory it reads random-access bodies into. */
export interface MultipartSenderOptions extends MultipartFramingOptions {
  /**
   * Buffers that random-access bodies are read into (default 4): reading runs ahead of the
   * destination by at most these, and each is reused once the destination has written its bytes.
   */
  readonly buffers?: number;
  /** Bytes of each buffer (default 1 MiB): the largest read, and the largest write. */
  readonly bufferBytes?: number;
}

const DEFAULT_BUFFERS = 4;
const DEFAULT_BUFFER_BYTES = 1 << 20;

/** One write: bytes, and what to do once the destination has written them. */
interface Chunk {
  readonly bytes: Buffer;
  readonly written?: () => void;
}

/**
 * Sends a multipart/related body (RFC 2046 5.1.1, RFC 2387) onto a writable, as WADO-RS answers
 * (PS3.18 10.4): the parts in order, then the close delimiter. Unlike MultipartWriter, which is a
 * stream for someone else to pipe, it writes itself, so that it hears each write's callback: a
 * random-access body (a stored file) is read into a few buffers, `buffers` × `bufferBytes`, each
 * reused once the destination has called back its write. A series of hundreds of instances is then
 * sent without a buffer allocated per instance: V8 counts such buffers as external memory, and one
 * fresh half-megabyte buffer per instance set off full collections on a busy process (20 to 40 for
 * a 263 MB series, seconds of CPU, several times the rest of the answer's work). The buffers also
 * let the next instances be read while the current one is written out.
 *
 * The destination must be done with a chunk once it has called back its write: a socket or an HTTP
 * response (its bytes are in the kernel then), not a PassThrough or a writable that keeps chunks.
 * Other bodies (bytes, streams) are written as they come, with the destination's back-pressure.
 */
export class MultipartSender {
  /** The boundary between the parts. */
  readonly boundary: string;
  /** The Content-Type header value of the body, boundary included. */
  readonly contentType: string;
  private readonly framing: MultipartFraming;
  private readonly buffers: number;
  private readonly bufferBytes: number;

  constructor(options: MultipartSenderOptions) {
    this.framing = new MultipartFraming(options);
    this.boundary = this.framing.boundary;
    this.contentType = this.framing.contentType;
    this.buffers = Math.max(1, options.buffers ?? DEFAULT_BUFFERS);
    this.bufferBytes = Math.max(1, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
  }

  /**
   * Writes `parts` onto `destination`, then the close delimiter; does not end it. Rejects, leaving
   * the body without its close delimiter (the caller cuts the answer short), when a part or its body
   * fails (a header with CR, LF or NUL is a TypeError), or when the destination closes or fails
   * first; every body taken from `parts` is closed or destroyed either way.
   */
  async send(destination: Writable, parts: AsyncIterable<SentPart>): Promise<void> {
    const aborted = new AbortController();
    const { signal } = aborted;
    const chunks = this.chunks(parts, new BufferPool(this.buffers, this.bufferBytes), signal);
    // The chunks after the one being written, asked for in advance: the source reads them meanwhile,
    // as far as the buffers allow. Two per buffer leaves room for the part heads between them.
    const ahead: Promise<IteratorResult<Chunk>>[] = [];
    // The destination closing or failing first (the client went away) stops the source where it waits.
    const stopWatching = finished(destination, { readable: false }, (error) =>
      aborted.abort(error ?? new Error('The destination ended before the multipart body was sent')),
    );
    try {
      for (;;) {
        while (ahead.length < 2 * this.buffers) {
          const next = chunks.next();
          // Handled here and awaited in turn below: a failure ahead must not surface as unhandled.
          next.catch(() => undefined);
          ahead.push(next);
        }
        const next = await ahead.shift()!;
        signal.throwIfAborted();
        if (next.done) return;
        const { bytes, written } = next.value;
        if (!destination.write(bytes, written)) await drained(destination, signal);
      }
    } catch (error) {
      // Stops the source, then lets it close the bodies it holds before answering.
      aborted.abort(error);
      await Promise.allSettled(ahead);
      await chunks.return(undefined).catch(() => undefined);
      throw error;
    } finally {
      stopWatching();
    }
  }

  // The bytes to write, in order: each part's head and body, then the close delimiter.
  private async *chunks(parts: AsyncIterable<SentPart>, pool: BufferPool, signal: AbortSignal): AsyncGenerator<Chunk> {
    let count = 0;
    for await (const { headers, body } of parts) {
      let done = false;
      try {
        signal.throwIfAborted();
        yield { bytes: this.framing.head(count, headers) };
        count += 1;
        if (isRandomAccess(body)) {
          yield* blocks(body, pool, signal);
        } else if (ArrayBuffer.isView(body)) {
          if (body.byteLength > 0) yield { bytes: asBuffer(body) };
        } else {
          // A stream that stalls would hold the source up once the answer is over.
          const stop = () => (body as Readable).destroy(signal.reason as Error);
          if (body instanceof Readable) signal.addEventListener('abort', stop, { once: true });
          try {
            for await (const chunk of body as AsyncIterable<unknown>) {
              if (!ArrayBuffer.isView(chunk)) throw new TypeError('A part body must yield bytes, not text');
              if (chunk.byteLength > 0) yield { bytes: asBuffer(chunk) };
            }
          } finally {
            signal.removeEventListener('abort', stop);
          }
        }
        done = true;
      } finally {
        await release(body, done);
      }
    }
    yield { bytes: this.framing.close(count) };
  }
}

// A random-access body, block by block, each read into a buffer of the pool that comes back to it
// once the destination has written the block.
async function* blocks(body: RandomAccessBody, pool: BufferPool, signal: AbortSignal): AsyncGenerator<Chunk> {
  for (let position = 0; position < body.size;) {
    const buffer = await pool.take(signal);
    let read: number;
    try {
      read = await body.read(buffer, 0, Math.min(buffer.length, body.size - position), position);
    } catch (error) {
      pool.give(buffer);
      throw error;
    }
    if (read === 0) {
      pool.give(buffer);
      throw new Error(`A part body ended after ${position} of the ${body.size} bytes it announced`);
    }
    position += read;
    yield { bytes: buffer.subarray(0, read), written: () => pool.give(buffer) };
  }
}

/** Closes a random-access body; destroys a stream body that was not read to its end. */
async function release(body: SentPart['body'], done: boolean): Promise<void> {
  if (isRandomAccess(body)) await body.close();
  else if (!done && body instanceof Readable) body.destroy();
}

function isRandomAccess(body: SentPart['body']): body is RandomAccessBody {
  if (ArrayBuffer.isView(body) || body instanceof Readable) return false;
  const candidate = body as Partial<RandomAccessBody>;
  return typeof candidate.size === 'number' && typeof candidate.read === 'function';
}

/** Resolves on the destination's next 'drain'; rejects when the sending is aborted first. */
function drained(destination: Writable, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      destination.removeListener('drain', onDrain);
      reject(signal.reason as Error);
    };
    destination.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function asBuffer(bytes: ArrayBufferView): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * At most `count` buffers of `bytes`, made when first needed: `take` hands out a free one, or waits
 * until one is given back.
 */
class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private made = 0;

  constructor(
    private readonly count: number,
    private readonly bytes: number,
  ) {}

  take(signal: AbortSignal): Promise<Buffer> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const buffer = this.free.pop();
    if (buffer) return Promise.resolve(buffer);
    if (this.made < this.count) {
      this.made += 1;
      // Not from Node's shared pool: these are written to, and reused.
      return Promise.resolve(Buffer.allocUnsafeSlow(this.bytes));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(handOver), 1);
        reject(signal.reason as Error);
      };
      const handOver = (given: Buffer) => {
        signal.removeEventListener('abort', onAbort);
        resolve(given);
      };
      this.waiting.push(handOver);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  give(buffer: Buffer): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(buffer);
    else this.free.push(buffer);
  }
}
