import { ImagingError } from './imaging.errors';
import { nativeFrameBits } from './pixel-description';
import type { PixelSource } from './pixel-source';

/** Reverses the bytes of every `unit`-byte word (2 or 4) into a new buffer. */
export function swapBytes(bytes: Buffer, unit: 2 | 4): Buffer {
  const out = Buffer.from(bytes);
  const whole = out.length - (out.length % unit);
  const view = out.subarray(0, whole);
  if (unit === 2) view.swap16();
  else view.swap32();
  return out;
}

/**
 * The word size to swap native Pixel Data by when it was read big endian (PS3.5 A.3): each sample
 * of 16 or 32 bits; samples of 8 bits or less only when the value is OW, whose 16-bit words the
 * big endian encoding swaps (PS3.5 7.3), 8-bit samples in OB stay as they are.
 */
function bigEndianSwapUnit(source: PixelSource): 1 | 2 | 4 {
  if (source.encoding.littleEndian) return 1;
  const bits = source.description.bitsAllocated;
  if (bits === 32) return 4;
  if (bits === 16) return 2;
  return source.pixelData.vr === 'OW' ? 2 : 1;
}

/** The whole native Pixel Data value, little endian (a view when no swap is needed). */
export function littleEndianPixelValue(source: PixelSource): Buffer {
  const { dataset, pixelData } = source;
  const value = dataset.bytes.subarray(pixelData.offset, pixelData.offset + pixelData.length);
  const unit = bigEndianSwapUnit(source);
  return unit === 1 ? value : swapBytes(value, unit);
}

/** Copies `bitCount` bits starting at bit `start` (bit 0 = least significant bit of byte 0). */
function extractBits(bytes: Buffer, start: number, bitCount: number): Buffer {
  if (start % 8 === 0 && bitCount % 8 === 0) return bytes.subarray(start / 8, (start + bitCount) / 8);
  // Not byte aligned (Bits Allocated 1): copied bit by bit, and the bits of the next frame that
  // share the last byte are left 0.
  const out = Buffer.alloc(Math.ceil(bitCount / 8));
  for (let i = 0; i < bitCount; i++) {
    const bit = start + i;
    if (bytes[bit >>> 3]! & (1 << (bit & 7))) out[i >>> 3]! |= 1 << (i & 7);
  }
  return out;
}

/**
 * The frames of native Pixel Data, little endian, in the given 0-based indexes. Frames are views
 * into the input where no byte swap is needed. INVALID_PIXEL_DATA when the value is shorter than
 * Number of Frames frames.
 */
export function nativeFrames(source: PixelSource, indexes: readonly number[]): Buffer[] {
  const description = source.description;
  const frameBits = nativeFrameBits(description);
  const needed = Math.ceil((frameBits * description.numberOfFrames) / 8);
  if (source.pixelData.length < needed) {
    throw new ImagingError(
      'INVALID_PIXEL_DATA',
      `Pixel Data holds ${source.pixelData.length} bytes, ${description.numberOfFrames} frame(s) of ` +
        `${description.rows}x${description.columns}x${description.samplesPerPixel} at ${description.bitsAllocated} bits need ${needed}`,
    );
  }
  const value = littleEndianPixelValue(source);
  return indexes.map((index) => extractBits(value, index * frameBits, frameBits));
}
