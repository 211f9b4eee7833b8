import { get } from 'node:http';
import { Readable } from 'node:stream';
import { parseMultipartRelated, readMultipart, type RandomAccessBody } from '@pacs/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { multipartBody, sendWadoResponse, type WadoPart, type WadoResponse } from './wado-response';

/** A stored copy read at offsets, telling how far it was read and whether it was closed. */
class Stored implements RandomAccessBody {
  reads = 0;
  closed = false;
  readonly size: number;

  constructor(
    readonly bytes: Buffer,
    private readonly failAtRead?: number,
  ) {
    this.size = bytes.length;
  }

  async read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.reads += 1;
    if (this.reads === this.failAtRead) throw new Error('disk read failed');
    await new Promise((resolve) => setImmediate(resolve));
    return this.bytes.copy(target, offset, position, Math.min(position + length, this.bytes.length));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

async function* partsOf(bodies: readonly WadoPart['body'][]): AsyncGenerator<WadoPart> {
  for (const [i, body] of bodies.entries()) {
    yield { headers: { 'Content-Type': 'application/dicom', 'Content-Location': `/instances/${i}` }, body };
  }
}

// Through Fastify on loopback, as the WADO-RS controllers answer: the multipart body writes itself
// onto the response (hijacked), and the client sees what an HTTP client sees.
describe('sendWadoResponse with a multipart body', () => {
  let app: FastifyInstance;
  let url: string;
  let respond: () => WadoResponse;

  beforeEach(async () => {
    app = Fastify();
    app.get('/answer', (_request, reply) => sendWadoResponse(reply, respond()));
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/answer`;
  });
  afterEach(() => app.close());

  it('sends the status, the headers and every part, and keeps the connection for the next request', async () => {
    const stored = Array.from({ length: 6 }, (_, i) => new Stored(Buffer.alloc(300_000 + i, i)));
    const bodies: WadoPart['body'][] = [...stored, Buffer.from('in memory'), Readable.from([Buffer.from('stream')])];
    const errors: unknown[] = [];
    respond = () => {
      const body = multipartBody('application/dicom', partsOf(bodies), (error) => errors.push(error));
      return { status: 206, headers: { 'Content-Type': body.contentType, Warning: '299 pacs "two left out"' }, body };
    };
    const answer = await fetch(url);
    expect(answer.status).toBe(206);
    expect(answer.headers.get('warning')).toBe('299 pacs "two left out"');
    const contentType = parseMultipartRelated(answer.headers.get('content-type')!);
    const received: Buffer[] = [];
    for await (const part of readMultipart(Readable.from([Buffer.from(await answer.arrayBuffer())]), contentType)) {
      expect(part.headers.get('content-location')).toBe(`/instances/${received.length}`);
      const chunks: Buffer[] = [];
      for await (const chunk of part.body) chunks.push(chunk as Buffer);
      received.push(Buffer.concat(chunks));
    }
    expect(received.map((bytes) => bytes.length)).toEqual([
      ...stored.map((copy) => copy.size),
      'in memory'.length,
      'stream'.length,
    ]);
    expect(received.slice(0, 6).every((bytes, i) => bytes.equals(stored[i]!.bytes))).toBe(true);
    expect(stored.every((copy) => copy.closed)).toBe(true);
    expect(errors).toEqual([]);
    // Keep-alive: the answer ended properly, and the next request is served.
    respond = () => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('next') });
    expect(await (await fetch(url)).text()).toBe('next');
  });

  it('cuts the answer short when a part fails midway: no close delimiter, and the client sees the failure', async () => {
    const failing = new Stored(Buffer.alloc(3 << 20, 1), 2);
    const errors: unknown[] = [];
    respond = () => {
      const body = multipartBody('application/dicom', partsOf([new Stored(Buffer.alloc(1000)), failing]), (error) =>
        errors.push(error),
      );
      return { status: 200, headers: { 'Content-Type': body.contentType }, body };
    };
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    const contentType = parseMultipartRelated(answer.headers.get('content-type')!);
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of answer.body as AsyncIterable<Uint8Array>) received.push(Buffer.from(chunk));
    })();
    await expect(reading).rejects.toThrow();
    expect(Buffer.concat(received).toString('latin1')).not.toContain(`--${contentType.boundary}--`);
    expect(errors).toEqual([expect.objectContaining({ message: 'disk read failed' })]);
    expect(failing.closed).toBe(true);
  });

  it('stops reading, and closes the stored copies it opened, when the client goes away', async () => {
    const stored = Array.from({ length: 200 }, () => new Stored(Buffer.alloc(256 * 1024)));
    let settle: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (settle = resolve));
    respond = () => {
      const body = multipartBody('application/dicom', partsOf(stored), () => settle());
      return { status: 200, headers: { 'Content-Type': body.contentType }, body };
    };
    // node:http rather than fetch: its connection goes with the request (fetch's pool may open another).
    await new Promise<void>((resolve, reject) => {
      const asking = get(url, (answer) => answer.once('data', () => (asking.destroy(), resolve())));
      asking.on('error', (error) => (asking.destroyed ? undefined : reject(error)));
    });
    await failed;
    const opened = stored.filter((copy) => copy.reads > 0);
    expect(opened.length).toBeLessThan(stored.length);
    expect(opened.every((copy) => copy.closed)).toBe(true);
  });
});
