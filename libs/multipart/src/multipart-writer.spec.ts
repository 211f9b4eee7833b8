import { Readable } from 'node:stream';
import { parseMultipartRelated } from './content-type';
import { MultipartWriter } from './multipart-writer';
import { readAll } from './testing/multipart-test-streams';

describe('MultipartWriter', () => {
  it('encodes parts as RFC 2046 5.1.1 lays them out', async () => {
    const writer = new MultipartWriter({ type: 'application/dicom', boundary: 'BOUNDARY' });
    const encoded = readAll(writer);
    await writer.addPart({ 'Content-Type': 'application/dicom', 'Content-Location': undefined }, Buffer.from('one'));
    await writer.addPart(
      new Map([['Content-Type', 'application/dicom']]),
      Readable.from([Buffer.from('tw'), Buffer.from('o')]),
    );
    await writer.end();
    expect((await encoded).toString()).toBe(
      '--BOUNDARY\r\nContent-Type: application/dicom\r\n\r\none' +
        '\r\n--BOUNDARY\r\nContent-Type: application/dicom\r\n\r\ntwo' +
        '\r\n--BOUNDARY--\r\n',
    );
    expect(writer.contentType).toBe('multipart/related; type="application/dicom"; boundary=BOUNDARY');
    expect(writer.partCount).toBe(2);
  });

  it('gives a Content-Type that parses back, with a random boundary and extra parameters', () => {
    const writer = new MultipartWriter({
      type: 'application/dicom',
      parameters: { 'transfer-syntax': '1.2.840.10008.1.2.4.50' },
    });
    const parsed = parseMultipartRelated(writer.contentType, { types: ['application/dicom'] });
    expect(parsed.boundary).toBe(writer.boundary);
    expect(parsed.transferSyntax).toBe('1.2.840.10008.1.2.4.50');
    expect(new MultipartWriter({ type: 'application/dicom' }).boundary).not.toBe(writer.boundary);
  });

  it('refuses a boundary outside the bchars of RFC 2046, and unsafe headers', () => {
    expect(() => new MultipartWriter({ type: 'application/dicom', boundary: 'has#hash' })).toThrow('boundary');
    const writer = new MultipartWriter({ type: 'application/dicom' });
    expect(() => writer.addPart({ 'Bad Name': 'x' }, Buffer.alloc(0))).toThrow(TypeError);
    expect(() => writer.addPart({ 'X-Injected': 'a\r\nContent-Type: text/html' }, Buffer.alloc(0))).toThrow(TypeError);
    expect(() => writer.addPart({ 'X-Wide': 'snow \u2603' }, Buffer.alloc(0))).toThrow(TypeError);
  });

  it('waits for its reader: addPart resolves only once the bytes fit in the buffer', async () => {
    const writer = new MultipartWriter({ type: 'application/octet-stream', highWaterMark: 1024 });
    let resolved = false;
    const added = writer.addPart({}, Buffer.alloc(10_000)).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    const drained = readAll(writer);
    await added;
    expect(resolved).toBe(true);
    await writer.end();
    expect((await drained).length).toBeGreaterThan(10_000);
  });

  it('reads a stream body with back-pressure, chunk by chunk', async () => {
    let produced = 0;
    const body = new Readable({
      highWaterMark: 1024,
      read() {
        produced += 1024;
        this.push(produced > 1024 * 1024 ? null : Buffer.alloc(1024, 1));
      },
    });
    const writer = new MultipartWriter({ type: 'application/octet-stream', highWaterMark: 4096 });
    void writer.addPart({}, body);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nobody reads the writer: the body was read only as far as the two buffers hold.
    expect(produced).toBeLessThan(64 * 1024);
    const encoded = readAll(writer);
    await writer.end();
    expect((await encoded).length).toBeGreaterThan(1024 * 1024);
  });

  it("fails without a close delimiter when a part's body fails, and fails later calls", async () => {
    const writer = new MultipartWriter({ type: 'application/dicom', boundary: 'B' });
    const chunks: Buffer[] = [];
    writer.on('data', (chunk: Buffer) => chunks.push(chunk));
    const streamError = new Promise((resolve) => writer.once('error', resolve));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('blob store read failed');
    }
    await expect(writer.addPart({}, failing())).rejects.toThrow('blob store read failed');
    expect(await streamError).toMatchObject({ message: 'blob store read failed' });
    await expect(writer.addPart({}, Buffer.from('x'))).rejects.toThrow();
    await expect(writer.end()).rejects.toThrow();
    expect(Buffer.concat(chunks).toString()).not.toContain('--B--');
  });

  it('stops, and lets go of the body, when its reader destroys it', async () => {
    const body = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
      },
    });
    const writer = new MultipartWriter({ type: 'application/dicom', highWaterMark: 1024 });
    const added = writer.addPart({}, body);
    await new Promise((resolve) => setImmediate(resolve));
    writer.destroy();
    await expect(added).rejects.toThrow('destroyed');
    expect(body.destroyed).toBe(true);
  });

  it('refuses parts after end()', async () => {
    const writer = new MultipartWriter({ type: 'application/dicom' });
    writer.resume();
    await writer.end();
    await expect(writer.addPart({}, Buffer.alloc(1))).rejects.toThrow('after end()');
    await expect(writer.end()).resolves.toBeUndefined();
  });
});
