import { Readable } from 'node:stream';
import type { MultipartRelatedContentType } from './content-type';
import { checkBoundary } from './multipart-boundary';
import { MultipartError } from './multipart.errors';
import { parsePartHeaders } from './part-headers';

/** Limits that bound what one body may cost; crossing one fails the read with a MultipartError. */
export interface MultipartLimits {
  /** Longest header block of one part, in bytes, transport padding of its delimiter line included. */
  readonly maxHeaderBytes: number;
  /** Most parts in one body. */
  readonly maxParts: number;
  /** Most bytes in the whole body, preamble and epilogue included. */
  readonly maxTotalBytes: number;
}

/** Defaults: 16 KiB of headers per part, 10 000 parts, no limit on the total (set one per service). */
export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = {
  maxHeaderBytes: 16 * 1024,
  maxParts: 10_000,
  maxTotalBytes: Number.POSITIVE_INFINITY,
};

/** How a MultipartReader reads. */
export interface MultipartReaderOptions {
  /**
   * Content type of the parts that have no Content-Type header. By default, when the reader is given
   * the parsed Content-Type of the body, its root `type` parameter (RFC 2387 3.1); RFC 2046 5.1.1's
   * text/plain default is not applied: in DICOMweb the parts carry the media type that `type` names
   * (PS3.18 8.6.1.2), so a sender that leaves the header out means that type, and text/plain would
   * only get every such part rejected. Given only a boundary and no option, such parts have none.
   */
  readonly defaultContentType?: string;
  /** Limits; each one not given is the default of DEFAULT_MULTIPART_LIMITS. */
  readonly limits?: Partial<MultipartLimits>;
  /** Bytes a part's body stream buffers before the source is paused (default: Node's, 64 KiB). */
  readonly partHighWaterMark?: number;
}

/** One part of a multipart body, produced once the one before it has been consumed or skipped. */
export interface MultipartPart {
  /** Position of the part in the body, from 0. */
  readonly index: number;
  /** The part's header fields, by lower-cased name. */
  readonly headers: ReadonlyMap<string, string>;
  /** Its Content-Type header, or the reader's defaultContentType when it has none. */
  readonly contentType: string | undefined;
  /** Its Content-Location header (PS3.18 8.6.1.2: a URI the part's bulk data is referenced by). */
  readonly contentLocation: string | undefined;
  /**
   * The part's bytes, streamed with back-pressure: the source is paused while this stream is full.
   * It ends only once the delimiter after the part has been read, so an ended body is complete; it
   * errors (UNEXPECTED_END, BODY_TOO_LARGE, the source's error...) when the part cannot be completed.
   * The error is also reported by the reader's next(), so the stream has a listener that swallows
   * it: an unread part never crashes the process.
   */
  readonly body: Readable;
  /** Discards the rest of the part (destroys its body); the reader passes over it to the next one. */
  skip(): void;
}

type State = 'idle' | 'preamble' | 'delimiter' | 'between' | 'headers' | 'body' | 'epilogue' | 'done' | 'failed';

// Where the reader is in a delimiter line: "--boundary" has been matched; what follows is either "--"
// (close delimiter) or transport padding then CRLF (RFC 2046 5.1.1).
const enum LineStage {
  AfterBoundary,
  Dash,
  Padding,
  Cr,
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const CRLF = Buffer.from('\r\n');
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const noop = (): void => undefined;

class PartStream extends Readable {
  constructor(
    private readonly onDemand: () => void,
    highWaterMark: number | undefined,
  ) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
  }

  override _read(): void {
    this.onDemand();
  }
}

class ReaderPart implements MultipartPart {
  readonly body: PartStream;
  /** The delimiter after the part has been read and its body ended. */
  complete = false;
  /** The body stream has closed: read to its end, skipped, or destroyed by its consumer. */
  closed = false;
  /** The body stream is full: wait for its _read before pushing more. */
  blocked = false;

  constructor(
    readonly index: number,
    readonly headers: ReadonlyMap<string, string>,
    readonly contentType: string | undefined,
    readonly contentLocation: string | undefined,
    highWaterMark: number | undefined,
    onChange: () => void,
  ) {
    this.body = new PartStream(() => {
      this.blocked = false;
      onChange();
    }, highWaterMark);
    this.body.on('error', noop);
    this.body.once('close', () => {
      this.closed = true;
      onChange();
    });
  }

  skip(): void {
    if (!this.body.destroyed) this.body.destroy();
  }
}

/**
 * Streaming reader of a multipart body (RFC 2046 5.1.1, multipart/related of RFC 2387), as STOW-RS
 * receives (PS3.18 10.5). It never holds a whole body, or a whole part, in memory: a part's bytes
 * are views of the source's chunks, pushed to the part's stream; when that stream is full the
 * source is paused (within a chunk) until the consumer reads. The delimiter is searched with Buffer.indexOf, and the
 * only copies are of the few bytes of a delimiter that a chunk boundary splits.
 *
 * Parts come one at a time from `next()` (or `for await`): the next part is read only once the
 * previous part's body has been consumed to its end, skipped, or destroyed. Asking for the next
 * part while the previous body was never read from skips it. Errors are MultipartErrors, or the
 * source's own error; either fails the part in flight and every later `next()`. On an error the
 * reader stops reading the source and leaves it paused: its owner drains or destroys it (a Node
 * HTTP server discards an unread request body when the response ends).
 */
export class MultipartReader implements AsyncIterable<MultipartPart> {
  private readonly source: Readable;
  // The delimiter as it occurs after the preamble or a part: CRLF "--" boundary.
  private readonly needle: Buffer;
  private readonly limits: MultipartLimits;
  private state: State = 'idle';

  // Source chunks not yet parsed; the first is parsed from `offset`. At most two while the reader
  // waits on the consumer (see waitForConsumer).
  private chunks: Buffer[] = [];
  private offset = 0;
  private bytesParsed = 0;
  private received = 0;
  private sourceEnded = false;
  private sourcePaused = false;

  // Bytes at the end of the last chunk that may begin a delimiter; the first `tailVirtual` of them
  // are not data but a CRLF assumed before the body and before each part, so that a dash-boundary
  // without its CRLF is found there (RFC 2046 5.1.1: the first delimiter needs no CRLF; a part
  // with headers and no body is followed directly by "--boundary").
  private tail: Buffer = EMPTY;
  private tailVirtual = 0;

  private lineStage = LineStage.AfterBoundary;
  private padding = 0;

  private headerChunks: Buffer[] = [];
  private headerBytes = 0;
  // The last (up to 3) bytes seen of the header block, a virtual CRLF first: an empty line ends it.
  private headerTail: Buffer = CRLF;

  private part: ReaderPart | undefined;
  private parts = 0;
  private wanted = false;
  private waiter: { resolve: (part: MultipartPart | undefined) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;

  private pumping = false;
  private pumpAgain = false;

  private readonly defaultContentType: string | undefined;

  /**
   * `body` is the boundary, or the parsed Content-Type of the body (parseMultipartRelated), whose
   * `type` is then the defaultContentType unless the options give one.
   */
  constructor(
    source: Readable | AsyncIterable<Uint8Array>,
    body: string | MultipartRelatedContentType,
    private readonly options: MultipartReaderOptions = {},
  ) {
    const boundary = typeof body === 'string' ? body : body.boundary;
    this.defaultContentType = options.defaultContentType ?? (typeof body === 'string' ? undefined : body.type);
    checkBoundary(boundary, false);
    this.source = isReadable(source) ? source : Readable.from(source, { objectMode: false });
    this.needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.limits = { ...DEFAULT_MULTIPART_LIMITS, ...definedOnly(options.limits ?? {}) };
  }

  /** Bytes received from the source so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Parts started so far. */
  get partCount(): number {
    return this.parts;
  }

  /**
   * The next part, or undefined after the close delimiter once the source has ended. Waits until
   * the previous part's body has been consumed (or skips it, if it was never read from).
   */
  next(): Promise<MultipartPart | undefined> {
    if (this.waiter !== undefined) {
      return Promise.reject(new Error('MultipartReader.next() called before the previous call settled'));
    }
    const previous = this.part;
    // Never read from (no data listener, pipe or async iterator): the consumer does not want it.
    if (previous !== undefined && !previous.closed && previous.body.readableFlowing === null) previous.skip();
    return new Promise<MultipartPart | undefined>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.wanted = true;
      if (this.state === 'idle') this.start();
      this.pump();
    });
  }

  /** The parts, one at a time; leaving the loop early destroys the reader. */
  async *[Symbol.asyncIterator](): AsyncGenerator<MultipartPart, void, undefined> {
    try {
      for (;;) {
        const part = await this.next();
        if (part === undefined) return;
        yield part;
      }
    } finally {
      // Leaving the loop early (break, a throw in its body) abandons the rest of the body.
      this.destroy();
    }
  }

  /**
   * Stops reading: the source is paused and let go, the part in flight (if incomplete) is destroyed
   * with `error` (or closed without one), and next() fails with `error` or returns undefined.
   */
  destroy(error?: unknown): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.terminate(error);
  }

  private start(): void {
    this.state = 'preamble';
    this.tail = CRLF;
    this.tailVirtual = CRLF.length;
    const source = this.source;
    if (source.errored) {
      this.terminate(source.errored);
      return;
    }
    if (source.readableEnded) this.sourceEnded = true;
    source.on('data', this.onData);
    source.on('end', this.onEnd);
    source.on('error', this.onError);
    source.on('close', this.onClose);
    source.resume();
  }

  private readonly onData = (chunk: unknown): void => {
    if (this.state === 'done' || this.state === 'failed') return;
    let buffer: Buffer;
    if (Buffer.isBuffer(chunk)) buffer = chunk;
    else if (ArrayBuffer.isView(chunk)) buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else {
      this.terminate(new TypeError('A multipart source must yield bytes, not text (was setEncoding called?)'));
      return;
    }
    this.received += buffer.length;
    // Checked on arrival, before parsing: an oversized body fails as soon as it crosses the limit.
    if (this.received > this.limits.maxTotalBytes) {
      this.terminate(
        new MultipartError(
          'BODY_TOO_LARGE',
          `The multipart body is longer than the limit of ${this.limits.maxTotalBytes} bytes`,
          this.limits.maxTotalBytes,
        ),
      );
      return;
    }
    if (buffer.length === 0) return;
    this.chunks.push(buffer);
    this.pump();
  };

  private readonly onEnd = (): void => {
    this.sourceEnded = true;
    this.pump();
  };

  private readonly onError = (error: unknown): void => {
    if (this.state === 'done' || this.state === 'failed') return;
    this.terminate(error);
  };

  private readonly onClose = (): void => {
    if (this.sourceEnded || this.state === 'done' || this.state === 'failed') return;
    this.terminate(this.unexpectedEnd('The multipart body stream closed before its end'));
  };

  private readonly onPartChange = (): void => this.pump();

  // Runs the parser as far as it can go; re-entrant calls (a part's consumer reading synchronously
  // inside a push) are folded into the running one.
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.run();
      } while (this.pumpAgain);
    } catch (error) {
      this.terminate(error);
    } finally {
      this.pumping = false;
    }
    this.settle();
  }

  private run(): void {
    for (;;) {
      const state = this.state;
      if (state === 'idle' || state === 'done' || state === 'failed') return;
      if (state === 'between') {
        // The next part is started only when asked for, and once the previous one is consumed.
        if (!this.wanted || (this.part !== undefined && !this.part.closed)) {
          this.waitForConsumer();
          return;
        }
        if (this.parts >= this.limits.maxParts) {
          throw new MultipartError(
            'TOO_MANY_PARTS',
            `The multipart body has more than the limit of ${this.limits.maxParts} parts`,
            this.position(),
          );
        }
        this.state = 'headers';
        this.headerTail = CRLF;
        continue;
      }
      const chunk = this.chunks[0];
      if (chunk === undefined) {
        // The end of the source is acted on even while the part's consumer is slow, so that an
        // incomplete part fails at once instead of when its buffered bytes have been read.
        if (this.sourceEnded) this.endOfSource();
        else this.releaseSource();
        return;
      }
      if (state === 'body' && this.part !== undefined && this.part.blocked && !this.part.body.destroyed) {
        this.waitForConsumer();
        return;
      }
      let next: number;
      if (state === 'preamble' || state === 'body') next = this.scan(chunk, this.offset);
      else if (state === 'delimiter') next = this.readDelimiterLine(chunk, this.offset);
      else if (state === 'headers') next = this.readHeaders(chunk, this.offset);
      else next = chunk.length; // epilogue: ignored (RFC 2046 5.1.1)
      if (next >= chunk.length) {
        this.chunks.shift();
        this.bytesParsed += chunk.length;
        this.offset = 0;
      } else {
        this.offset = next;
      }
    }
  }

  // Preamble or part body: finds the next delimiter, passes the bytes before it on (to the part) or
  // drops them (preamble). Returns where parsing goes on in `chunk`.
  private scan(chunk: Buffer, from: number): number {
    const needle = this.needle;
    if (this.tail.length > 0) {
      const tail = this.tail;
      const virtual = this.tailVirtual;
      this.tail = EMPTY;
      this.tailVirtual = 0;
      // A delimiter that starts in the tail ends within needle.length - 1 bytes of the chunk.
      const take = Math.min(chunk.length - from, needle.length - 1);
      const head = Buffer.concat([tail, chunk.subarray(from, from + take)]);
      const at = head.indexOf(needle);
      if (at !== -1) {
        this.emit(head, virtual, at);
        this.delimiterFound();
        return from + at + needle.length - tail.length;
      }
      if (take === chunk.length - from) {
        // The whole chunk fitted in `head` and it may still end with the start of a delimiter.
        const keep = partialMatchStart(head, needle, 0);
        this.emit(head, virtual, keep);
        this.tail = head.subarray(keep);
        this.tailVirtual = Math.max(0, virtual - keep);
        return chunk.length;
      }
      // No delimiter starts in the tail: it was data.
      this.emit(tail, virtual, tail.length);
    }
    const at = chunk.indexOf(needle, from);
    if (at !== -1) {
      this.emit(chunk, from, at);
      this.delimiterFound();
      return at + needle.length;
    }
    const keep = partialMatchStart(chunk, needle, from);
    this.emit(chunk, from, keep);
    // A copy of at most needle.length - 1 bytes, so that the chunk itself is not retained.
    if (keep < chunk.length) this.tail = Buffer.from(chunk.subarray(keep));
    return chunk.length;
  }

  private emit(buffer: Buffer, from: number, to: number): void {
    if (to <= from || this.state !== 'body') return;
    const part = this.part;
    if (part === undefined || part.body.destroyed) return;
    const bytes = from === 0 && to === buffer.length ? buffer : buffer.subarray(from, to);
    if (!part.body.push(bytes)) part.blocked = true;
  }

  private delimiterFound(): void {
    this.state = 'delimiter';
    this.lineStage = LineStage.AfterBoundary;
    this.padding = 0;
  }

  // After "--boundary": "--" closes the body; otherwise transport padding, then CRLF. Only these few
  // bytes are looked at one by one.
  private readDelimiterLine(chunk: Buffer, from: number): number {
    for (let i = from; i < chunk.length; i++) {
      const byte = chunk[i];
      switch (this.lineStage) {
        case LineStage.AfterBoundary:
          if (byte === DASH) this.lineStage = LineStage.Dash;
          else if (byte === SPACE || byte === TAB) this.paddingByte(i);
          else if (byte === CR) this.lineStage = LineStage.Cr;
          else throw this.malformedDelimiter(i);
          break;
        case LineStage.Dash:
          if (byte !== DASH) throw this.malformedDelimiter(i);
          // Close delimiter: what follows (padding, CRLF, epilogue) is ignored.
          this.endPart();
          this.state = 'epilogue';
          return i + 1;
        case LineStage.Padding:
          if (byte === SPACE || byte === TAB) this.paddingByte(i);
          else if (byte === CR) this.lineStage = LineStage.Cr;
          else throw this.malformedDelimiter(i);
          break;
        case LineStage.Cr:
          if (byte !== LF) throw this.malformedDelimiter(i);
          this.endPart();
          this.state = 'between';
          return i + 1;
      }
    }
    return chunk.length;
  }

  private paddingByte(at: number): void {
    this.lineStage = LineStage.Padding;
    this.padding += 1;
    if (this.padding > this.limits.maxHeaderBytes) {
      throw new MultipartError(
        'HEADERS_TOO_LARGE',
        `A delimiter line has more transport padding than the limit of ${this.limits.maxHeaderBytes} bytes`,
        this.bytesParsed + at,
      );
    }
  }

  private malformedDelimiter(at: number): MultipartError {
    return new MultipartError(
      'MALFORMED_DELIMITER',
      'A line starts with the boundary but is not a delimiter line (RFC 2046 5.1.1: the boundary must not occur in a part)',
      this.bytesParsed + at,
    );
  }

  private endPart(): void {
    const part = this.part;
    if (part === undefined || part.complete) return;
    part.complete = true;
    if (!part.body.destroyed) part.body.push(null);
  }

  // Part headers: everything up to the first empty line; the block is copied once, when complete.
  private readHeaders(chunk: Buffer, from: number): number {
    let end = -1;
    const tail = this.headerTail;
    const head = Buffer.concat([tail, chunk.subarray(from, from + CRLF_CRLF.length - 1)]);
    const across = head.indexOf(CRLF_CRLF);
    if (across !== -1) end = from + across + CRLF_CRLF.length - tail.length;
    else {
      const at = chunk.indexOf(CRLF_CRLF, from);
      if (at !== -1) end = at + CRLF_CRLF.length;
    }
    const stop = end === -1 ? chunk.length : end;
    if (this.headerBytes + (stop - from) > this.limits.maxHeaderBytes) {
      throw new MultipartError(
        'HEADERS_TOO_LARGE',
        `The headers of part ${this.parts + 1} are longer than the limit of ${this.limits.maxHeaderBytes} bytes`,
        this.bytesParsed + from,
      );
    }
    this.headerChunks.push(chunk.subarray(from, stop));
    this.headerBytes += stop - from;
    if (end === -1) {
      this.headerTail =
        chunk.length - from >= 3
          ? Buffer.from(chunk.subarray(chunk.length - 3))
          : Buffer.concat([tail, chunk.subarray(from)]).subarray(-3);
      return chunk.length;
    }
    const block = Buffer.concat(this.headerChunks, this.headerBytes);
    this.headerChunks = [];
    this.headerBytes = 0;
    this.startPart(parsePartHeaders(block, this.bytesParsed + from, this.parts));
    return end;
  }

  private startPart(headers: Map<string, string>): void {
    const part = new ReaderPart(
      this.parts,
      headers,
      headers.get('content-type') ?? this.defaultContentType,
      headers.get('content-location'),
      this.options.partHighWaterMark,
      this.onPartChange,
    );
    this.parts += 1;
    this.part = part;
    this.wanted = false;
    this.state = 'body';
    this.tail = CRLF;
    this.tailVirtual = CRLF.length;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(part);
  }

  private endOfSource(): void {
    switch (this.state) {
      case 'epilogue':
        this.state = 'done';
        this.detach();
        return;
      case 'preamble':
        throw this.unexpectedEnd('The multipart body ended before its first boundary');
      case 'body':
        throw this.unexpectedEnd(`The multipart body ended inside part ${this.parts}, which is incomplete`);
      case 'delimiter':
        throw this.unexpectedEnd(`The multipart body ended inside a delimiter line`);
      default:
        throw this.unexpectedEnd(`The multipart body ended before its close delimiter`);
    }
  }

  private unexpectedEnd(message: string): MultipartError {
    return new MultipartError('UNEXPECTED_END', message, this.position());
  }

  private position(): number {
    return this.bytesParsed + this.offset;
  }

  // Ends the read: `error` (if any) fails the incomplete part in flight and every later next().
  private terminate(error: unknown): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.failure = error;
    const part = this.part;
    if (part !== undefined && !part.complete && !part.body.destroyed) {
      part.body.destroy(error === undefined ? undefined : toError(error));
    }
    this.chunks = [];
    this.tail = EMPTY;
    this.headerChunks = [];
    this.detach();
    if (!this.sourceEnded) this.holdSource();
    this.settle();
  }

  private detach(): void {
    const source = this.source;
    source.off('data', this.onData);
    source.off('end', this.onEnd);
    source.off('close', this.onClose);
    // onError stays: an error the source emits later must not become an uncaught exception here.
  }

  private settle(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    if (this.state === 'failed') {
      this.waiter = undefined;
      if (this.failure === undefined) waiter.resolve(undefined);
      else waiter.reject(this.failure);
    } else if (this.state === 'done' && (this.part === undefined || this.part.closed)) {
      this.waiter = undefined;
      waiter.resolve(undefined);
    }
  }

  // Waiting on the consumer (a full part stream, or a part not asked for yet). The source is paused
  // only once a chunk beyond the one being parsed has come in: a consumer that keeps up has caught up
  // by then, so the source (a socket) is not paused and resumed at every chunk and every part; for
  // a slow one the reader holds at most those two chunks.
  private waitForConsumer(): void {
    if (this.chunks.length > 1) this.holdSource();
    else this.releaseSource();
  }

  private holdSource(): void {
    if (!this.sourcePaused) {
      this.sourcePaused = true;
      this.source.pause();
    }
  }

  private releaseSource(): void {
    if (this.sourcePaused) {
      this.sourcePaused = false;
      this.source.resume();
    }
  }
}

/**
 * Reads a multipart body part by part (see MultipartReader). Typically, for STOW-RS:
 * `const contentType = parseMultipartRelated(req.headers['content-type'], { types: ['application/dicom'] });
 *  for await (const part of readMultipart(req, contentType, { limits })) ...`
 */
export function readMultipart(
  source: Readable | AsyncIterable<Uint8Array>,
  body: string | MultipartRelatedContentType,
  options?: MultipartReaderOptions,
): AsyncGenerator<MultipartPart, void, undefined> {
  return new MultipartReader(source, body, options)[Symbol.asyncIterator]();
}

/**
 * Earliest position p >= from such that buffer[p..] is a proper prefix of needle: the bytes from p on
 * may be the start of a delimiter that the next chunk completes. buffer.length when there is none.
 */
function partialMatchStart(buffer: Buffer, needle: Buffer, from: number): number {
  const first = needle[0] ?? CR;
  let p = Math.max(from, buffer.length - needle.length + 1);
  while (p < buffer.length) {
    p = buffer.indexOf(first, p);
    if (p === -1) return buffer.length;
    if (buffer.compare(needle, 0, buffer.length - p, p) === 0) return p;
    p += 1;
  }
  return buffer.length;
}

// Duck-typed: under Jest, streams of another realm fail instanceof.
function isReadable(source: unknown): source is Readable {
  const candidate = source as Partial<Readable> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.on === 'function' &&
    typeof candidate.pause === 'function' &&
    typeof candidate.resume === 'function'
  );
}

// Not `instanceof Error`, which is false for errors of another realm (Node's own under Jest).
function toError(error: unknown): Error {
  return typeof error === 'object' && error !== null ? (error as Error) : new Error(String(error));
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
