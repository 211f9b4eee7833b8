import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMultipartError, MultipartError } from './multipart.errors';
import { MultipartReader, readMultipart } from './multipart-reader';
import {
  chunksOf,
  collect,
  cutAt,
  encodeMultipart,
  fromChunks,
  readAll,
  type TestPart,
} from './testing/multipart-test-streams';

const BOUNDARY = 'pacs-test-boundary';
const dicomPart = (body: string, extra: [string, string][] = []): TestPart => ({
  headers: [['Content-Type', 'application/dicom'], ...extra],
  body: Buffer.from(body, 'latin1'),
});
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('MultipartReader: RFC 2046 5.1.1 grammar', () => {
  it('reads parts with their headers and exact bodies', async () => {
    const body = encodeMultipart(BOUNDARY, [
      dicomPart('first\r\nbody', [['Content-Location', 'http://example.org/1']]),
      dicomPart(''),
      dicomPart('--third--'),
    ]);
    const { parts, error } = await collect(chunksOf(body, 7), BOUNDARY);
    expect(error).toBeUndefined();
    expect(parts.map((p) => p.body?.toString('latin1'))).toEqual(['first\r\nbody', '', '--third--']);
    expect(parts[0]!.headers.get('content-location')).toBe('http://example.org/1');
    expect(parts[0]!.contentType).toBe('application/dicom');
  });

  it('exposes part metadata and iterates with for await', async () => {
    const body = encodeMultipart(BOUNDARY, [
      dicomPart('a', [['Content-Location', 'x']]),
      {
        headers: [
          ['X-Custom', 'one'],
          ['x-custom', 'two'],
        ],
        body: bytes('b'),
      },
    ]);
    const seen: unknown[] = [];
    for await (const part of readMultipart(chunksOf(body, 5), BOUNDARY, { defaultContentType: 'application/dicom' })) {
      seen.push({
        index: part.index,
        contentType: part.contentType,
        contentLocation: part.contentLocation,
        custom: part.headers.get('x-custom'),
        body: (await readAll(part.body)).toString(),
      });
    }
    expect(seen).toEqual([
      { index: 0, contentType: 'application/dicom', contentLocation: 'x', custom: undefined, body: 'a' },
      { index: 1, contentType: 'application/dicom', contentLocation: undefined, custom: 'one, two', body: 'b' },
    ]);
  });

  it('ignores the preamble and the epilogue, even when they look like delimiters', async () => {
    const body = encodeMultipart(BOUNDARY, [dicomPart('x'), dicomPart('y')], {
      preamble: `This is a preamble with --${BOUNDARY}x in it\r\nand a CRLF --${BOUNDARY.slice(1)}`,
      epilogue: `epilogue\r\n--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nnot a part`,
    });
    const { parts, error } = await collect(chunksOf(body, 3), BOUNDARY);
    expect(error).toBeUndefined();
    expect(parts.map((p) => p.body?.toString())).toEqual(['x', 'y']);
  });

  it('takes transport padding (spaces and tabs) after the boundary', async () => {
    const body = encodeMultipart(BOUNDARY, [dicomPart('x'), dicomPart('y')], { padding: ' \t  ', epilogue: '' });
    const { parts, error } = await collect(chunksOf(body, 1), BOUNDARY);
    expect(error).toBeUndefined();
    expect(parts.map((p) => p.body?.toString())).toEqual(['x', 'y']);
  });

  it('finds the first delimiter with or without a CRLF before it', async () => {
    for (const leadingCrlf of [false, true]) {
      const body = encodeMultipart(BOUNDARY, [dicomPart('only')], { leadingCrlf });
      expect(body.subarray(0, 2).toString() === '--').toBe(!leadingCrlf);
      const { parts, error } = await collect(chunksOf(body, 2), BOUNDARY);
      expect(error).toBeUndefined();
      expect(parts.map((p) => p.body?.toString())).toEqual(['only']);
    }
  });

  it('reads a part with no headers, and a part with headers and no body at all', async () => {
    // "--b CRLF CRLF body": empty header block; "headers CRLF CRLF --b": the delimiter's CRLF is the
    // header block's last one (RFC 2046 5.1.1: body-part := MIME-part-headers [CRLF *OCTET]).
    const body = bytes(
      `--${BOUNDARY}\r\n\r\nno headers\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n--${BOUNDARY}--`,
    );
    for (const size of [1, 2, 3, 5, body.length]) {
      const { parts, error } = await collect(chunksOf(body, size), BOUNDARY, {
        defaultContentType: 'application/octet-stream',
      });
      expect(error).toBeUndefined();
      expect(parts.map((p) => [p.contentType, p.body?.toString()])).toEqual([
        ['application/octet-stream', 'no headers'],
        ['application/dicom', ''],
      ]);
    }
  });

  it('unfolds folded header lines, joins repeated ones and lower-cases names', async () => {
    const body = bytes(
      `--${BOUNDARY}\r\nCONTENT-TYPE: application/dicom;\r\n\ttransfer-syntax=1.2.840.10008.1.2.1\r\nX-A: 1\r\nx-a:2\r\n\r\nz\r\n--${BOUNDARY}--`,
    );
    const { parts } = await collect(chunksOf(body, 4), BOUNDARY);
    expect(parts[0]!.contentType).toBe('application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
    expect([...parts[0]!.headers]).toEqual([
      ['content-type', 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1'],
      ['x-a', '1, 2'],
    ]);
  });

  it('reads a body with no parts (close delimiter only) as empty', async () => {
    const { parts, error } = await collect(chunksOf(bytes(`--${BOUNDARY}--\r\n`), 4), BOUNDARY);
    expect(error).toBeUndefined();
    expect(parts).toEqual([]);
  });

  it('accepts Uint8Array chunks and async iterable sources', async () => {
    const body = encodeMultipart(BOUNDARY, [dicomPart('abc')]);
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < body.length; i += 4) yield new Uint8Array(body.subarray(i, i + 4));
    }
    const reader = new MultipartReader(source(), BOUNDARY);
    const part = await reader.next();
    expect((await readAll(part!.body)).toString()).toBe('abc');
    expect(await reader.next()).toBeUndefined();
    expect(reader.bytesReceived).toBe(body.length);
    expect(reader.partCount).toBe(1);
  });
});

describe('MultipartReader: malformed and truncated bodies', () => {
  const three = encodeMultipart(BOUNDARY, [
    dicomPart('a'.repeat(100)),
    dicomPart('b'.repeat(100)),
    dicomPart('c'.repeat(100)),
  ]);

  it('fails the part in flight with UNEXPECTED_END when the body is cut inside it', async () => {
    const cut = three.indexOf('b'.repeat(50));
    const { parts, error } = await collect(chunksOf(three.subarray(0, cut), 16), BOUNDARY);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.body?.toString()).toBe('a'.repeat(100));
    expect(parts[1]!.body).toBeUndefined();
    expect(isMultipartError(parts[1]!.error, 'UNEXPECTED_END')).toBe(true);
    expect(isMultipartError(error, 'UNEXPECTED_END')).toBe(true);
  });

  it('never reports an incomplete part as complete, wherever the body is cut', async () => {
    const expected = ['a'.repeat(100), 'b'.repeat(100), 'c'.repeat(100)];
    const closeAt = three.lastIndexOf(`--${BOUNDARY}--`) + BOUNDARY.length + 4;
    for (let cut = 0; cut < three.length; cut++) {
      const { parts, error } = await collect(chunksOf(three.subarray(0, cut), 13), BOUNDARY);
      parts.forEach((part, i) => {
        if (part.body !== undefined) expect(part.body.toString()).toBe(expected[i]);
      });
      if (cut < closeAt) expect(isMultipartError(error, 'UNEXPECTED_END')).toBe(true);
      else expect(error).toBeUndefined();
    }
  });

  it('fails with UNEXPECTED_END when the body is cut inside part headers', async () => {
    const cut = three.indexOf('Content-Type', three.indexOf('a'.repeat(100))) + 5;
    const { parts, error } = await collect(chunksOf(three.subarray(0, cut), 16), BOUNDARY);
    expect(parts.map((p) => p.body?.toString())).toEqual(['a'.repeat(100)]);
    expect(isMultipartError(error, 'UNEXPECTED_END')).toBe(true);
  });

  it('fails with UNEXPECTED_END when there is no close delimiter, after the complete parts', async () => {
    // Cut after the last part's bytes, after its delimiter line, inside its close delimiter.
    const cases: [string, string[]][] = [
      ['', ['x']],
      [`\r\n--${BOUNDARY}\r\n`, ['x', 'y']],
      [`\r\n--${BOUNDARY}-`, ['x']],
    ];
    for (const [tail, complete] of cases) {
      const body = Buffer.concat([
        encodeMultipart(BOUNDARY, [dicomPart('x'), dicomPart('y')], { noClose: true }),
        bytes(tail),
      ]);
      const { parts, error } = await collect(chunksOf(body, 3), BOUNDARY);
      expect(parts.filter((p) => p.body !== undefined).map((p) => p.body?.toString())).toEqual(complete);
      expect(isMultipartError(error, 'UNEXPECTED_END')).toBe(true);
    }
  });

  it('fails with UNEXPECTED_END when the boundary never occurs', async () => {
    const { parts, error } = await collect(chunksOf(bytes('no multipart here\r\n--other\r\n\r\n'), 5), BOUNDARY);
    expect(parts).toEqual([]);
    expect(error).toMatchObject({ code: 'UNEXPECTED_END', httpStatus: 400 });
  });

  it('fails with MALFORMED_DELIMITER when a line starts with the boundary and goes on', async () => {
    const body = bytes(`--${BOUNDARY}\r\n\r\nabc\r\n--${BOUNDARY}xyz\r\n\r\n--${BOUNDARY}--`);
    const { parts, error } = await collect(chunksOf(body, 4), BOUNDARY);
    expect(parts).toHaveLength(1);
    expect(isMultipartError(parts[0]!.error, 'MALFORMED_DELIMITER')).toBe(true);
    expect(isMultipartError(error, 'MALFORMED_DELIMITER')).toBe(true);
  });

  it('fails with MALFORMED_HEADERS on a header line without a colon or with space before it', async () => {
    for (const line of ['Content-Type application/dicom', 'Content-Type : application/dicom', ' folded first']) {
      const body = bytes(`--${BOUNDARY}\r\n${line}\r\n\r\nabc\r\n--${BOUNDARY}--`);
      const { parts, error } = await collect(chunksOf(body, 6), BOUNDARY);
      expect(parts).toEqual([]);
      expect(error).toMatchObject({ code: 'MALFORMED_HEADERS', httpStatus: 400 });
    }
  });

  it('fails with HEADERS_TOO_LARGE when a header block passes the limit, without reading on', async () => {
    const big = `--${BOUNDARY}\r\nX-Big: ${'v'.repeat(5000)}\r\n\r\nabc\r\n--${BOUNDARY}--`;
    const { error } = await collect(chunksOf(bytes(big), 100), BOUNDARY, { limits: { maxHeaderBytes: 1024 } });
    expect(error).toMatchObject({ code: 'HEADERS_TOO_LARGE', httpStatus: 413 });
    // The same headers within the limit are fine.
    const ok = await collect(chunksOf(bytes(big), 100), BOUNDARY, { limits: { maxHeaderBytes: 8192 } });
    expect(ok.error).toBeUndefined();
    // Endless transport padding counts against the same limit.
    const padded = bytes(`--${BOUNDARY}${' '.repeat(2000)}\r\n\r\nabc\r\n--${BOUNDARY}--`);
    const { error: paddingError } = await collect(chunksOf(padded, 64), BOUNDARY, { limits: { maxHeaderBytes: 1024 } });
    expect(paddingError).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
  });

  it('fails with TOO_MANY_PARTS after the last allowed part, which stays complete', async () => {
    const body = encodeMultipart(BOUNDARY, [dicomPart('1'), dicomPart('2'), dicomPart('3')]);
    const { parts, error } = await collect(chunksOf(body, 8), BOUNDARY, { limits: { maxParts: 2 } });
    expect(parts.map((p) => p.body?.toString())).toEqual(['1', '2']);
    expect(error).toMatchObject({ code: 'TOO_MANY_PARTS', httpStatus: 413 });
    expect((await collect(chunksOf(body, 8), BOUNDARY, { limits: { maxParts: 3 } })).error).toBeUndefined();
  });

  it('fails with BODY_TOO_LARGE as soon as the limit is crossed, without reading the rest', async () => {
    const limit = 1024 * 1024;
    let produced = 0;
    const head = bytes(`--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
    const block = Buffer.alloc(16 * 1024, 0x41);
    // An endless body: if the reader waited for its end, this test would never finish.
    const source = new Readable({
      read() {
        const chunk = produced === 0 ? head : block;
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const { parts, error } = await collect(source, BOUNDARY, { limits: { maxTotalBytes: limit } });
    expect(error).toMatchObject({ code: 'BODY_TOO_LARGE', httpStatus: 413 });
    expect(isMultipartError(parts[0]!.error, 'BODY_TOO_LARGE')).toBe(true);
    // At most what the source had buffered past the limit (its high-water mark) and one chunk.
    expect(produced).toBeLessThan(limit + source.readableHighWaterMark + 2 * block.length);
    expect(source.isPaused()).toBe(true);
  });

  it("propagates the source's error to the part in flight and to next()", async () => {
    const failure = new Error('client went away');
    const head = encodeMultipart(BOUNDARY, [dicomPart('complete')], { noClose: true });
    const source = new Readable({ read() {} });
    source.push(head);
    source.push(bytes(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\npartial`));
    setTimeout(() => source.destroy(failure), 20);
    const { parts, error } = await collect(source, BOUNDARY);
    expect(parts.map((p) => p.body?.toString())).toEqual(['complete', undefined]);
    expect(parts[1]!.error).toBe(failure);
    expect(error).toBe(failure);
  });

  it('fails when the source closes without ending, and on text chunks', async () => {
    const source = new Readable({ read() {} });
    source.push(bytes(`--${BOUNDARY}\r\n\r\npartial`));
    setTimeout(() => source.destroy(), 20);
    expect((await collect(source, BOUNDARY)).error).toMatchObject({ code: 'UNEXPECTED_END' });

    const text = Readable.from([`--${BOUNDARY}\r\n\r\nx\r\n--${BOUNDARY}--`], { objectMode: true });
    expect((await collect(text, BOUNDARY)).error).toBeInstanceOf(TypeError);
  });

  it('refuses an invalid boundary up front', () => {
    expect(() => new MultipartReader(fromChunks([]), '')).toThrow(MultipartError);
    expect(() => new MultipartReader(fromChunks([]), 'x'.repeat(71))).toThrow(MultipartError);
    expect(() => new MultipartReader(fromChunks([]), 'ends in space ')).toThrow(MultipartError);
    expect(() => new MultipartReader(fromChunks([]), 'bad\r\nboundary')).toThrow(MultipartError);
  });
});

describe('MultipartReader: one part at a time, with back-pressure', () => {
  const body = encodeMultipart(BOUNDARY, [
    dicomPart('x'.repeat(300_000)),
    dicomPart('y'.repeat(10)),
    dicomPart('z'.repeat(300_000)),
  ]);

  it('produces the next part only after the previous body has been consumed', async () => {
    const reader = new MultipartReader(chunksOf(body, 65536), BOUNDARY);
    const first = await reader.next();
    // The first body is being read (so next() does not skip it), slowly: until it ends, the
    // second part does not come.
    const received: Buffer[] = [];
    first!.body.on('data', (chunk: Buffer) => received.push(chunk));
    first!.body.pause();
    let secondArrived = false;
    const second = reader.next().then((part) => {
      secondArrived = true;
      return part;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondArrived).toBe(false);
    first!.body.resume();
    const part = await second;
    expect(Buffer.concat(received).length).toBe(300_000);
    expect(part!.index).toBe(1);
    expect((await readAll(part!.body)).toString()).toBe('y'.repeat(10));
    const third = await reader.next();
    expect((await readAll(third!.body)).length).toBe(300_000);
    expect(await reader.next()).toBeUndefined();
  });

  it('pauses the source while a part consumer is slow', async () => {
    const source = chunksOf(body, 16 * 1024);
    const reader = new MultipartReader(source, BOUNDARY, { partHighWaterMark: 16 * 1024 });
    const first = await reader.next();
    // Nobody reads the first part: the reader fills its buffer, then stops reading the source.
    first!.body.pause();
    first!.body.on('data', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(source.isPaused()).toBe(true);
    expect(first!.body.readableLength).toBeLessThanOrEqual(2 * 16 * 1024);
    expect(reader.bytesReceived).toBeLessThan(100_000);
    first!.body.resume();
    first!.skip();
  });

  it('skips parts on request or when asked for the next part without reading, and discards their bytes', async () => {
    const reader = new MultipartReader(chunksOf(body, 4096), BOUNDARY);
    const first = await reader.next();
    first!.skip();
    const second = await reader.next();
    expect(second!.index).toBe(1);
    // Never read from: asking for the next part skips it.
    const third = await reader.next();
    expect(third!.index).toBe(2);
    expect((await readAll(third!.body)).toString()).toBe('z'.repeat(300_000));
    expect(await reader.next()).toBeUndefined();
  });

  it('treats a body destroyed by its consumer as skipped', async () => {
    const reader = new MultipartReader(chunksOf(body, 4096), BOUNDARY);
    const first = await reader.next();
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    await expect(pipeline(first!.body, sink)).rejects.toThrow('disk full');
    const second = await reader.next();
    expect((await readAll(second!.body)).toString()).toBe('y'.repeat(10));
  });

  it('for await: leaving the loop early stops reading and fails the part in flight', async () => {
    const source = chunksOf(body, 4096);
    const reader = new MultipartReader(source, BOUNDARY);
    let firstBody: Readable | undefined;
    for await (const part of reader) {
      firstBody = part.body;
      break;
    }
    expect(firstBody!.destroyed).toBe(true);
    expect(await reader.next()).toBeUndefined();
  });

  it('refuses a second next() while one is pending', async () => {
    const reader = new MultipartReader(new Readable({ read() {} }), BOUNDARY);
    const pending = reader.next();
    await expect(reader.next()).rejects.toThrow('before the previous call settled');
    reader.destroy(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('cuts chunks anywhere around a delimiter', async () => {
    const small = encodeMultipart(BOUNDARY, [dicomPart('left\r'), dicomPart('\nright')]);
    const at = small.indexOf(`\r\n--${BOUNDARY}`, 10);
    for (let a = at - 3; a < at + BOUNDARY.length + 8; a++) {
      for (let b = a + 1; b < at + BOUNDARY.length + 10; b++) {
        const { parts, error } = await collect(cutAt(small, [a, b]), BOUNDARY);
        expect(error).toBeUndefined();
        expect(parts.map((p) => p.body?.toString())).toEqual(['left\r', '\nright']);
      }
    }
  });
});
