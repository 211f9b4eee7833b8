import { Readable, Writable } from 'node:stream';
import { MultipartSender, type RandomAccessBody, type SentPart } from './multipart-sender';

/**
 * A destination that copies what it is given, as a socket does by the time it calls back a write;
 * with `hold`, it calls back no write until `flow()`, as a socket whose client reads nothing.
 */
class Client extends Writable {
  readonly chunks: Buffer[] = [];
  /** The ArrayBuffers of the chunks it was given. */
  readonly memory = new Set<ArrayBufferLike>();
  private held: (() => void)[] | undefined;

  constructor(options: { hold?: boolean } = {}) {
    super();
    this.held = options.hold ? [] : undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.memory.add(chunk.buffer);
    if (this.held) this.held.push(callback);
    else callback();
  }

  flow(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const callback of held) callback();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

/** A random-access body over bytes, counting its reads and telling whether it was closed. */
class Stored implements RandomAccessBody {
  reads = 0;
  closed = false;
  readonly size: number;

  constructor(
    private readonly bytes: Buffer,
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

async function* partsOf(...parts: SentPart[]): AsyncGenerator<SentPart> {
  yield* parts;
}

describe('MultipartSender', () => {
  it('encodes bytes, streams and random-access bodies as RFC 2046 5.1.1 lays them out', async () => {
    const sender = new MultipartSender({ type: 'application/dicom', boundary: 'BOUNDARY', bufferBytes: 4 });
    const client = new Client();
    const stored = new Stored(Buffer.from('three, in blocks of four'));
    await sender.send(
      client,
      partsOf(
        { headers: { 'Content-Type': 'application/dicom', 'Content-Location': undefined }, body: Buffer.from('one') },
        {
          headers: new Map([['Content-Type', 'application/dicom']]),
          body: Readable.from([Buffer.from('tw'), Buffer.from('o')]),
        },
        { headers: { 'Content-Length': '24' }, body: stored },
      ),
    );
    expect(client.text()).toBe(
      '--BOUNDARY\r\nContent-Type: application/dicom\r\n\r\none' +
        '\r\n--BOUNDARY\r\nContent-Type: application/dicom\r\n\r\ntwo' +
        '\r\n--BOUNDARY\r\nContent-Length: 24\r\n\r\nthree, in blocks of four' +
        '\r\n--BOUNDARY--\r\n',
    );
    expect(sender.contentType).toBe('multipart/related; type="application/dicom"; boundary=BOUNDARY');
    expect(stored.closed).toBe(true);
  });

  it('refuses a stream body that yields text', async () => {
    await expect(
      new MultipartSender({ type: 'text/plain' }).send(
        new Client(),
        partsOf({ headers: {}, body: Readable.from(['text']) }),
      ),
    ).rejects.toThrow('must yield bytes');
  });

  it('sends no part but the close delimiter for no parts', async () => {
    const client = new Client();
    await new MultipartSender({ type: 'application/dicom', boundary: 'B' }).send(client, partsOf());
    expect(client.text()).toBe('--B--\r\n');
  });

  it('reads random-access bodies into the same few buffers, reused once each write is called back', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => new Stored(Buffer.alloc(1000, i)));
    const client = new Client();
    const sender = new MultipartSender({ type: 'application/octet-stream', buffers: 2, bufferBytes: 256 });
    await sender.send(client, partsOf(...bodies.map((body) => ({ headers: {}, body }))));
    // 20 bodies of 4 blocks each went through 2 buffers of 256 bytes, copied intact by the client.
    const blocks = client.chunks.filter((chunk) => chunk.length === 256 || chunk.length === 1000 - 3 * 256);
    expect(blocks).toHaveLength(80);
    const blockMemory = [...client.memory].filter((memory) => memory.byteLength === 256);
    expect(blockMemory).toHaveLength(2);
    expect(client.text()).toContain(Buffer.alloc(1000, 19).toString('latin1'));
    expect(bodies.every((body) => body.closed)).toBe(true);
  });

  it('reads ahead of a client that takes nothing only as far as its buffers reach', async () => {
    const bodies = Array.from({ length: 10 }, () => new Stored(Buffer.alloc(100)));
    let taken = 0;
    async function* parts(): AsyncGenerator<SentPart> {
      for (const body of bodies) {
        taken += 1;
        yield { headers: {}, body };
      }
    }
    const client = new Client({ hold: true });
    const sending = new MultipartSender({ type: 'application/octet-stream', buffers: 3 }).send(client, parts());
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One body in each buffer, and the next part taken, waiting for a buffer.
    expect(bodies.map((body) => body.reads)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(taken).toBe(4);
    client.flow();
    await sending;
    expect(bodies.every((body) => body.reads === 1 && body.closed)).toBe(true);
  });

  it('fails without a close delimiter when a body fails, and closes every body it took', async () => {
    const failing = new Stored(Buffer.alloc(64, 1), 2);
    const next = new Stored(Buffer.alloc(64, 2));
    let finished = false;
    async function* parts(): AsyncGenerator<SentPart> {
      try {
        yield { headers: {}, body: new Stored(Buffer.alloc(64)) };
        yield { headers: {}, body: failing };
        yield { headers: {}, body: next };
      } finally {
        finished = true;
      }
    }
    const client = new Client();
    const sender = new MultipartSender({ type: 'application/octet-stream', boundary: 'B', bufferBytes: 16 });
    await expect(sender.send(client, parts())).rejects.toThrow('disk read failed');
    expect(client.text()).not.toContain('--B--');
    expect(failing.closed).toBe(true);
    expect(next.reads).toBe(0);
    expect(finished).toBe(true);
  });

  it('fails when a body ends before the size it announced', async () => {
    const short: RandomAccessBody = { size: 10, read: async () => 0, close: async () => undefined };
    await expect(
      new MultipartSender({ type: 'application/octet-stream' }).send(
        new Client(),
        partsOf({ headers: {}, body: short }),
      ),
    ).rejects.toThrow('ended after 0 of the 10 bytes');
  });

  it('refuses a header that would inject a line', async () => {
    const body = new Stored(Buffer.from('x'));
    await expect(
      new MultipartSender({ type: 'application/dicom' }).send(
        new Client(),
        partsOf({ headers: { 'X-Injected': 'a\r\nContent-Type: text/html' }, body }),
      ),
    ).rejects.toThrow(TypeError);
    expect(body.closed).toBe(true);
  });

  it('stops, and lets go of what it took, when the client goes away', async () => {
    const bodies = Array.from({ length: 10 }, () => new Stored(Buffer.alloc(100)));
    const stream = new Readable({ read: () => undefined });
    const client = new Client({ hold: true });
    const sending = new MultipartSender({ type: 'application/octet-stream', buffers: 2 }).send(
      client,
      partsOf({ headers: {}, body: stream }, ...bodies.map((body) => ({ headers: {}, body }))),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.destroy();
    await expect(sending).rejects.toThrow();
    // The stream that never ended was destroyed; no stored body was opened past the stream.
    expect(stream.destroyed).toBe(true);
    expect(bodies.every((body) => body.reads === 0)).toBe(true);
  });

  it('stops when the client goes away while the stored copies are being sent', async () => {
    const bodies = Array.from({ length: 10 }, () => new Stored(Buffer.alloc(100)));
    const client = new Client({ hold: true });
    const sending = new MultipartSender({ type: 'application/octet-stream', buffers: 2 }).send(
      client,
      partsOf(...bodies.map((body) => ({ headers: {}, body }))),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.destroy();
    await expect(sending).rejects.toThrow();
    const taken = bodies.filter((body) => body.reads > 0);
    expect(taken.length).toBeLessThanOrEqual(3);
    expect(taken.every((body) => body.closed)).toBe(true);
  });
});
