import { isImagingError } from './imaging.errors';
import type { PixelDescription } from './pixel-description';
import { decodeRleFrame } from './rle-decoder';
import { encodeRleFrame } from './testing/rle-encoder';

function describePixels(
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
): PixelDescription {
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored: bitsAllocated,
    highBit: bitsAllocated - 1,
    pixelRepresentation: 0,
    photometricInterpretation: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
    planarConfiguration: 0,
    numberOfFrames: 1,
  };
}

/** An RLE frame from hand-written segments (PS3.5 G.5 header: count, then offsets). */
function frameOf(segments: readonly number[][]): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((segment, i) => {
    header.writeUInt32LE(offset, 4 + i * 4);
    offset += segment.length;
  });
  return Buffer.concat([header, ...segments.map((segment) => Buffer.from(segment))]);
}

describe('decodeRleFrame (PS3.5 Annex G)', () => {
  it('decodes literal runs, replicate runs and skips the -128 no-op (G.3.1)', () => {
    // 2 literal bytes (header 1), no-op (0x80), 4 repeats of 9 (header -3 = 0xFD), 2 literal.
    const frame = frameOf([[0x01, 10, 20, 0x80, 0xfd, 9, 0x01, 30, 40]]);
    const out = decodeRleFrame(frame, describePixels(2, 4, 1, 8));
    expect([...out]).toEqual([10, 20, 9, 9, 9, 9, 30, 40]);
  });

  it('puts the most significant byte segment first and writes samples little endian (G.2)', () => {
    // Two 16-bit pixels 0x1234 and 0xABCD: segment 1 the high bytes, segment 2 the low bytes.
    const frame = frameOf([
      [0x01, 0x12, 0xab],
      [0x01, 0x34, 0xcd],
    ]);
    const out = decodeRleFrame(frame, describePixels(1, 2, 1, 16));
    expect([out.readUInt16LE(0), out.readUInt16LE(2)]).toEqual([0x1234, 0xabcd]);
  });

  it('interleaves the segments of each color sample (color-by-pixel output)', () => {
    const frame = frameOf([
      [0x01, 1, 2],
      [0x01, 3, 4],
      [0x01, 5, 6],
    ]);
    expect([...decodeRleFrame(frame, describePixels(1, 2, 3, 8))]).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('round-trips frames of every sample size through an independent PackBits writer', () => {
    for (const [samples, bytes] of [
      [1, 1],
      [1, 2],
      [3, 1],
      [3, 2],
      [1, 4],
    ] as const) {
      const rows = 7;
      const columns = 9;
      const pixels = Buffer.alloc(rows * columns * samples * bytes);
      // Runs and noise, so both run kinds occur.
      for (let i = 0; i < pixels.length; i++) pixels[i] = i % 17 < 8 ? 42 : (i * 73) & 0xff;
      const decoded = decodeRleFrame(
        encodeRleFrame(pixels, samples, bytes),
        describePixels(rows, columns, samples, bytes * 8),
      );
      expect(decoded.equals(pixels)).toBe(true);
    }
  });

  it('refuses a header whose segment count does not fit the samples', () => {
    const frame = frameOf([[0x00, 1]]);
    expect(() => decodeRleFrame(frame, describePixels(1, 1, 3, 8))).toThrow(/lists 1 segments; 3 samples/);
  });

  it('refuses a segment that decodes to fewer bytes than pixels', () => {
    const frame = frameOf([[0x01, 1, 2]]);
    try {
      decodeRleFrame(frame, describePixels(2, 2, 1, 8));
      throw new Error('decoded');
    } catch (error) {
      expect(isImagingError(error, 'INVALID_PIXEL_DATA')).toBe(true);
      expect(String(error)).toMatch(/decodes to 2 bytes, 4 expected/);
    }
  });

  it('refuses a frame without its 64-byte header', () => {
    expect(() => decodeRleFrame(Buffer.alloc(10), describePixels(1, 1, 1, 8))).toThrow(/no 64-byte header/);
  });
});
