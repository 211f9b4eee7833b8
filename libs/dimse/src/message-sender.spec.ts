import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { MessageSender } from './message-sender';
import { PduReader } from './pdu-reader';

/** A socket stand-in that records what is written, with optional back-pressure. */
class RecordingSocket extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    setImmediate(callback);
  }
}

interface Fragment {
  contextId: number;
  control: number;
  data: Buffer;
  pduLength: number;
}

function parse(bytes: Buffer): Fragment[] {
  const out: Fragment[] = [];
  let pduLength = 0;
  const reader = new PduReader(
    {
      onControlPdu: () => undefined,
      onPdvData: (contextId, control, data) => out.push({ contextId, control, data: Buffer.from(data), pduLength }),
      onPduError: (error) => {
        throw error;
      },
    },
    { maxPDataLength: 1 << 30, maxControlPduLength: 1 << 20 },
  );
  // Record each PDU's length to check it against the peer's maximum.
  let offset = 0;
  while (offset < bytes.length) {
    pduLength = bytes.readUInt32BE(offset + 2);
    reader.push(bytes.subarray(offset, offset + 6 + pduLength));
    offset += 6 + pduLength;
  }
  return out;
}

/** Everything written, once the socket has flushed it. */
async function sent(socket: RecordingSocket): Promise<Buffer> {
  socket.end();
  await once(socket, 'finish');
  return Buffer.concat(socket.chunks);
}

const command = Buffer.alloc(80, 0xcc);
const dataset = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i & 0xff));

describe('MessageSender', () => {
  it('fragments to the peer maximum, even-sized, with command/last bits (PS3.8 E.2)', async () => {
    const socket = new RecordingSocket();
    const sender = new MessageSender(socket as never, 16384 + 1);
    await sender.send(3, command, dataset);
    const fragments = parse(await sent(socket));
    expect(fragments[0]).toMatchObject({ contextId: 3, control: 3 });
    expect(fragments[0]!.data).toEqual(command);
    const data = fragments.slice(1);
    expect(data.every((f) => f.pduLength <= 16385 && f.data.length % 2 === 0 && f.contextId === 3)).toBe(true);
    expect(data.map((f) => f.control)).toEqual([...data.slice(1).map(() => 0), 2]);
    expect(Buffer.concat(data.map((f) => f.data))).toEqual(dataset);
    expect(sender.bytesSent).toBe(command.length + dataset.length);
  });

  it('caps PDUs at our own maximum when the peer announces no limit', async () => {
    const socket = new RecordingSocket();
    await new MessageSender(socket as never, 0, 32 * 1024).send(1, command, dataset);
    const fragments = parse(await sent(socket)).slice(1);
    expect(Math.max(...fragments.map((f) => f.pduLength))).toBe(32 * 1024);
  });

  it('re-chunks a stream of odd-sized chunks into full PDVs, the last one flagged', async () => {
    const socket = new RecordingSocket();
    const chunks: Buffer[] = [];
    for (let offset = 0, size = 1; offset < dataset.length; offset += size, size = (size * 7 + 3) % 9000) {
      chunks.push(dataset.subarray(offset, offset + size));
    }
    await new MessageSender(socket as never, 4096).send(1, command, Readable.from(chunks));
    const data = parse(await sent(socket)).slice(1);
    expect(data.slice(0, -1).every((f) => f.data.length === 4090 && f.control === 0)).toBe(true);
    expect(data[data.length - 1]!.control).toBe(2);
    expect(Buffer.concat(data.map((f) => f.data))).toEqual(dataset);
  });

  it('sends an empty data set as one empty last fragment', async () => {
    const socket = new RecordingSocket();
    await new MessageSender(socket as never, 4096).send(1, command, Readable.from([]));
    expect(parse(await sent(socket)).map((f) => [f.control, f.data.length])).toEqual([
      [3, 80],
      [2, 0],
    ]);
  });

  it('never interleaves the fragments of two queued messages', async () => {
    const socket = new RecordingSocket(1024);
    const sender = new MessageSender(socket as never, 1024);
    const slow = Readable.from(
      (async function* () {
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 2));
          yield Buffer.alloc(1000, 1);
        }
      })(),
    );
    await Promise.all([sender.send(1, command, slow), sender.send(3, command, Buffer.alloc(3000, 2))]);
    const fragments = parse(await sent(socket));
    const firstOfSecond = fragments.findIndex((f) => f.contextId === 3);
    expect(fragments.slice(0, firstOfSecond).every((f) => f.contextId === 1)).toBe(true);
    expect(fragments.slice(firstOfSecond).every((f) => f.contextId === 3)).toBe(true);
    expect(sender.queued).toBe(0);
  });

  it('fails when the socket is gone', async () => {
    const socket = new RecordingSocket();
    socket.destroy();
    await expect(new MessageSender(socket as never, 4096).send(1, command)).rejects.toMatchObject({
      code: 'ASSOCIATION_CLOSED',
    });
  });
});
