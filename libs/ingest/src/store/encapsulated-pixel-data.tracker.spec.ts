import { EncapsulatedPixelDataTracker } from './encapsulated-pixel-data.tracker';

function item(length: number, fill = 0xab): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt16LE(0xe000, 2);
  header.writeUInt32LE(length, 4);
  return Buffer.concat([header, Buffer.alloc(length, fill)]);
}
const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

function feedInChunks(bytes: Buffer, size: number, start = 100): EncapsulatedPixelDataTracker {
  const tracker = new EncapsulatedPixelDataTracker(start);
  const stream = Buffer.concat([Buffer.alloc(start, 1), bytes]);
  for (let i = 0; i < stream.length; i += size) tracker.feed(stream.subarray(i, i + size), i);
  return tracker;
}

describe('EncapsulatedPixelDataTracker', () => {
  const pixelData = Buffer.concat([item(0), item(1000), item(33), item(7), delimiter]);

  it('sees the end of the fragments whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 8, 9, 64, 1000, 5000]) expect(feedInChunks(pixelData, size).complete).toBe(true);
  });

  it('knows a stream cut anywhere before the delimiter is incomplete', () => {
    for (let cut = 0; cut < pixelData.length; cut += 13) {
      expect(feedInChunks(pixelData.subarray(0, cut), 64).complete).toBe(false);
    }
    expect(feedInChunks(pixelData.subarray(0, pixelData.length - 1), 7).complete).toBe(false);
  });

  it('refuses something other than items where an item header is due', () => {
    const broken = Buffer.concat([item(10), Buffer.from([0x10, 0x00, 0x10, 0x00, 4, 0, 0, 0]), delimiter]);
    expect(() => feedInChunks(broken, 16)).toThrow(/other than fragments/);
  });
});
