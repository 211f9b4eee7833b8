import { crc32, deflateSync } from 'node:zlib';
import type { DisplayImage } from './display-image';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// IHDR color types (PNG 11.2.2): 0 grayscale, 2 truecolor.
const COLOR_TYPE = { 1: 0, 3: 2 } as const;

/** A chunk: length, type, data, CRC-32 of type and data (PNG 5.3). */
function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Filters one scanline with each of the five filters of PNG 9.2 into `candidates` and returns the
 * type whose output has the smallest sum of absolute (signed) bytes: the heuristic of PNG 12.8,
 * good for the smooth gradients of medical images.
 */
function bestFilter(row: Uint8Array, previous: Uint8Array | undefined, bpp: number, candidates: Uint8Array[]): number {
  let best = 0;
  let bestScore = Infinity;
  for (let type = 0; type < 5; type++) {
    const out = candidates[type]!;
    let score = 0;
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = previous ? previous[i]! : 0;
      const c = previous && i >= bpp ? previous[i - bpp]! : 0;
      const predictor = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
      const value = (row[i]! - predictor) & 0xff;
      out[i] = value;
      score += value < 128 ? value : 256 - value;
    }
    if (score < bestScore) {
      bestScore = score;
      best = type;
    }
  }
  return best;
}

/** Encodes 8-bit gray or RGB pixels as a PNG (ISO/IEC 15948): IHDR, one IDAT, IEND, no interlace. */
export function encodePng(image: DisplayImage): Buffer {
  const { width, height, channels, pixels } = image;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[channels];
  // compression 0 (deflate), filter method 0 (adaptive), interlace 0 (none): already zero.
  const stride = width * channels;
  const filtered = Buffer.alloc((stride + 1) * height);
  const candidates = Array.from({ length: 5 }, () => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const previous = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : undefined;
    const type = bestFilter(row, previous, channels, candidates);
    filtered[y * (stride + 1)] = type;
    filtered.set(candidates[type]!, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(filtered)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
