// Test support for the multipart specs: sources cut into chosen chunks, hand-made bodies, readers
// that collect parts. Test code only; not exported by the lib.
import { createCipheriv } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultipartReader, type MultipartReaderOptions } from '../multipart-reader';

/** A part as the tests describe it: headers (in order) and the exact bytes of its body. */
export interface TestPart {
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

/** How `encodeMultipart` lays the body out around the parts. */
export interface EncodeOptions {
  readonly preamble?: string;
  readonly epilogue?: string;
  /** Transport padding after each boundary (RFC 2046 5.1.1). */
  readonly padding?: string;
  /** Whether the first dash-boundary has a CRLF before it (with no preamble); default no. */
  readonly leadingCrlf?: boolean;
  /** Leave out the close delimiter. */
  readonly noClose?: boolean;
}

/** Encodes parts by hand (not with MultipartWriter), so that reader tests do not depend on the writer. */
export function encodeMultipart(boundary: string, parts: readonly TestPart[], options: EncodeOptions = {}): Buffer {
  const pieces: Buffer[] = [];
  const padding = options.padding ?? '';
  if (options.preamble !== undefined) pieces.push(Buffer.from(`${options.preamble}\r\n`, 'latin1'));
  else if (options.leadingCrlf === true) pieces.push(Buffer.from('\r\n'));
  parts.forEach((part, i) => {
    const head = part.headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    pieces.push(Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}${padding}\r\n${head}\r\n`, 'latin1'));
    pieces.push(part.body);
  });
  if (options.noClose !== true) {
    pieces.push(Buffer.from(`${parts.length === 0 ? '' : '\r\n'}--${boundary}--${padding}`, 'latin1'));
    if (options.epilogue !== undefined) pieces.push(Buffer.from(`\r\n${options.epilogue}`, 'latin1'));
  }
  return Buffer.concat(pieces);
}

/** A source emitting `body` cut at the given offsets (increasing, inside the body). */
export function cutAt(body: Buffer, cuts: readonly number[]): Readable {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > start) chunks.push(body.subarray(start, cut));
    start = Math.max(start, cut);
  }
  return fromChunks(chunks);
}

/** A source emitting `body` in chunks of `size` bytes. */
export function chunksOf(body: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));
  return fromChunks(chunks);
}

/** A source emitting exactly these chunks, one 'data' event each. */
export function fromChunks(chunks: readonly Buffer[]): Readable {
  let i = 0;
  return new Readable({
    read() {
      const chunk = chunks[i++];
      this.push(chunk === undefined ? null : chunk);
    },
  });
}

/** Reads a stream to its end into one buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What `collect` saw of a part: the body if it ended, or the error it failed with. */
export interface CollectedPart {
  readonly headers: ReadonlyMap<string, string>;
  readonly contentType: string | undefined;
  readonly body?: Buffer;
  readonly error?: unknown;
}

/** Reads every part (each body to its end) and the error the read ended with, if any. */
export async function collect(
  source: Readable,
  boundary: string,
  options?: MultipartReaderOptions,
): Promise<{ parts: CollectedPart[]; error?: unknown }> {
  const reader = new MultipartReader(source, boundary, options);
  const parts: CollectedPart[] = [];
  try {
    for (;;) {
      const part = await reader.next();
      if (part === undefined) return { parts };
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      });
      const error = await pipeline(part.body, sink).catch((e: unknown) => e ?? new Error('failed'));
      const { headers, contentType } = part;
      parts.push(
        error === undefined ? { headers, contentType, body: Buffer.concat(chunks) } : { headers, contentType, error },
      );
    }
  } catch (error) {
    return { parts, error };
  }
}

/** Deterministic PRNG (mulberry32), so that a failing random case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random bytes (AES-128-CTR keystream of the seed), made natively: fast. */
export function seededBytes(seed: number, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed >>> 0, 0);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/**
 * Random binary body salted with the byte sequences a delimiter search can trip on: CR, LF, CRLF,
 * "--", CRLF "--", the boundary with its last or first byte missing or changed, "--boundary" in the
 * middle of a line, and a body ending with the start of a delimiter.
 */
export function trickyBody(random: () => number, boundary: string, size: number): Buffer {
  const traps = [
    '\r',
    '\n',
    '\r\n',
    '--',
    '\r\n--',
    '\r\r\n--',
    `\r\n--${boundary.slice(0, -1)}`,
    `\r\n--${boundary.slice(0, -1)}${String.fromCharCode((boundary.charCodeAt(boundary.length - 1) + 1) & 0x7f)}`,
    `\r\n-${boundary}`,
    `\r\n${boundary}`,
    `x--${boundary}\r\n`,
    `\n--${boundary}`,
    `\r--${boundary}`,
  ].map((trap) => Buffer.from(trap, 'latin1'));
  const longest = Math.max(...traps.map((trap) => trap.length), 40);
  const buffer = Buffer.alloc(size + longest);
  const noise = seededBytes(Math.floor(random() * 2 ** 32), size + longest);
  let length = 0;
  while (length < size) {
    if (random() < 0.3) {
      length += traps[Math.floor(random() * traps.length)]!.copy(buffer, length);
    } else {
      const run = 1 + Math.floor(random() * 40);
      length += noise.copy(buffer, length, length, length + run);
    }
  }
  let body = buffer.subarray(0, size);
  if (random() < 0.3) body = Buffer.concat([body, Buffer.from(`\r\n--${boundary.slice(0, 3)}`, 'latin1')]);
  return withoutDelimiter(body, boundary);
}

// Traps side by side can spell a real delimiter ("\r" then "\n--boundary"), and a body may not start
// with "--boundary" (the reader assumes a CRLF before each part); break such spots with a "+".
function withoutDelimiter(body: Buffer, boundary: string): Buffer {
  const needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
  for (let at = body.indexOf(needle); at !== -1; at = body.indexOf(needle, at)) body[at + 2] = 0x2b;
  if (body.subarray(0, needle.length - 2).equals(needle.subarray(2))) body[0] = 0x2b;
  return body;
}
