import { ImagingError } from './imaging.errors';
import type { PixelDescription } from './pixel-description';

const HEADER_LENGTH = 64;
const MAX_SEGMENTS = 15;

/**
 * Decodes one RLE Lossless segment (PS3.5 G.3.1, a PackBits variant) into `out` at `start`, every
 * `stride`-th byte, until `count` bytes are written: a header byte n in 0..127 copies the next n+1
 * bytes, n in -127..-1 repeats the next byte 1-n times, -128 does nothing.
 */
function decodeSegment(segment: Buffer, out: Buffer, start: number, stride: number, count: number): void {
  let p = 0;
  let written = 0;
  while (written < count && p < segment.length) {
    const header = segment[p++]!;
    if (header < 128) {
      const length = Math.min(header + 1, count - written, segment.length - p);
      for (let i = 0; i < length; i++) out[start + (written + i) * stride] = segment[p + i]!;
      p += header + 1;
      written += length;
    } else if (header > 128) {
      const value = segment[p++];
      if (value === undefined) break;
      const length = Math.min(257 - header, count - written);
      for (let i = 0; i < length; i++) out[start + (written + i) * stride] = value;
      written += length;
    }
  }
  if (written < count) {
    throw new ImagingError('INVALID_PIXEL_DATA', `An RLE segment decodes to ${written} bytes, ${count} expected`);
  }
}

/**
 * Decodes an RLE Lossless frame (PS3.5 Annex G) to native samples, little endian, color-by-pixel.
 * The header (G.5) lists up to 15 segments; each holds one byte of every sample, most significant
 * byte first, sample by sample (G.2): a 16-bit RGB frame has 6 segments (R high, R low, G high, ...).
 */
export function decodeRleFrame(frame: Buffer, description: PixelDescription): Buffer {
  const { rows, columns, samplesPerPixel, bitsAllocated } = description;
  if (bitsAllocated % 8 !== 0) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `RLE Lossless with Bits Allocated ${bitsAllocated}`);
  }
  if (frame.length < HEADER_LENGTH) {
    throw new ImagingError('INVALID_PIXEL_DATA', `An RLE frame of ${frame.length} bytes has no 64-byte header`);
  }
  const bytesPerSample = bitsAllocated / 8;
  const segmentCount = frame.readUInt32LE(0);
  const expected = samplesPerPixel * bytesPerSample;
  if (segmentCount !== expected || segmentCount > MAX_SEGMENTS) {
    throw new ImagingError(
      'INVALID_PIXEL_DATA',
      `The RLE header lists ${segmentCount} segments; ${samplesPerPixel} samples of ${bitsAllocated} bits need ${expected}`,
    );
  }
  const offsets: number[] = [];
  for (let i = 0; i < segmentCount; i++) offsets.push(frame.readUInt32LE(4 + i * 4));
  const pixels = rows * columns;
  const out = Buffer.alloc(pixels * expected);
  for (let s = 0; s < segmentCount; s++) {
    const begin = offsets[s]!;
    const end = s + 1 < segmentCount ? offsets[s + 1]! : frame.length;
    if (begin < HEADER_LENGTH || end > frame.length || end < begin) {
      throw new ImagingError(
        'INVALID_PIXEL_DATA',
        `RLE segment ${s + 1} has offsets ${begin}-${end} outside the frame`,
      );
    }
    const sample = Math.floor(s / bytesPerSample);
    const significance = bytesPerSample - 1 - (s % bytesPerSample); // 0 = least significant byte
    decodeSegment(frame.subarray(begin, end), out, sample * bytesPerSample + significance, expected, pixels);
  }
  return out;
}
