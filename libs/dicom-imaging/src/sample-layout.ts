import { ImagingError } from './imaging.errors';

/** Reorders color-by-plane samples (RRR..GGG..BBB..) to color-by-pixel (RGBRGB..), PS3.3 C.7.6.3.1.3. */
export function planarToInterleaved(planes: Buffer, pixels: number, samples: number, bytesPerSample: number): Buffer {
  const out = Buffer.alloc(pixels * samples * bytesPerSample);
  const pixelStride = samples * bytesPerSample;
  for (let s = 0; s < samples; s++) {
    const plane = s * pixels * bytesPerSample;
    for (let p = 0; p < pixels; p++) {
      const from = plane + p * bytesPerSample;
      const to = p * pixelStride + s * bytesPerSample;
      for (let b = 0; b < bytesPerSample; b++) out[to + b] = planes[from + b]!;
    }
  }
  return out;
}

/**
 * Expands native YBR_FULL_422 (PS3.3 C.7.6.3.1.2: each pair of pixels stored as Y1 Y2 CB CR) to
 * full YBR with three samples per pixel, each pair sharing its chrominance.
 */
export function expandYbr422(packed: Buffer, rows: number, columns: number, bytesPerSample: number): Buffer {
  if (columns % 2 !== 0) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `YBR_FULL_422 with an odd number of columns (${columns})`);
  }
  const size = bytesPerSample;
  const out = Buffer.alloc(rows * columns * 3 * size);
  const pairs = (rows * columns) / 2;
  for (let pair = 0; pair < pairs; pair++) {
    const from = pair * 4 * size;
    const to = pair * 6 * size;
    const y1 = packed.subarray(from, from + size);
    const y2 = packed.subarray(from + size, from + 2 * size);
    const cb = packed.subarray(from + 2 * size, from + 3 * size);
    const cr = packed.subarray(from + 3 * size, from + 4 * size);
    y1.copy(out, to);
    cb.copy(out, to + size);
    cr.copy(out, to + 2 * size);
    y2.copy(out, to + 3 * size);
    cb.copy(out, to + 4 * size);
    cr.copy(out, to + 5 * size);
  }
  return out;
}

/**
 * Converts YBR_FULL samples (8 or 16 bits, color-by-pixel) to RGB in place with the inverse of the
 * equations of PS3.3 C.7.6.3.1.2 (ITU-R BT.601 full range, chrominance centered on 2^(bits-1)).
 */
export function ybrFullToRgb(pixels: Buffer, bitsStored: number, bytesPerSample: 1 | 2): void {
  const max = 2 ** bitsStored - 1;
  const half = 2 ** (bitsStored - 1);
  const read = bytesPerSample === 1 ? (i: number) => pixels[i]! : (i: number) => pixels.readUInt16LE(i * 2);
  const write =
    bytesPerSample === 1
      ? (i: number, v: number) => (pixels[i] = v)
      : (i: number, v: number) => pixels.writeUInt16LE(v, i * 2);
  const clamp = (v: number): number => (v < 0 ? 0 : v > max ? max : Math.round(v));
  const count = pixels.length / bytesPerSample;
  for (let i = 0; i + 2 < count; i += 3) {
    const y = read(i);
    const cb = read(i + 1) - half;
    const cr = read(i + 2) - half;
    write(i, clamp(y + 1.402 * cr));
    write(i + 1, clamp(y - 0.344136 * cb - 0.714136 * cr));
    write(i + 2, clamp(y + 1.772 * cb));
  }
}

/**
 * Sign-extends samples from Bits Stored to Bits Allocated in place (two's complement, PS3.5 8.1.1),
 * for decoders that return the stored bits only. Values already extended stay as they are.
 */
export function signExtend(pixels: Buffer, bitsAllocated: number, bitsStored: number): void {
  if (bitsStored >= bitsAllocated) return;
  const sign = 2 ** (bitsStored - 1);
  const mask = 2 ** bitsStored - 1;
  const range = 2 ** bitsStored;
  if (bitsAllocated === 8) {
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]! & mask;
      pixels.writeInt8(v >= sign ? v - range : v, i);
    }
  } else if (bitsAllocated === 16) {
    for (let i = 0; i + 1 < pixels.length; i += 2) {
      const v = pixels.readUInt16LE(i) & mask;
      pixels.writeInt16LE(v >= sign ? v - range : v, i);
    }
  } else if (bitsAllocated === 32) {
    for (let i = 0; i + 3 < pixels.length; i += 4) {
      const v = (pixels.readUInt32LE(i) & mask) >>> 0;
      pixels.writeInt32LE(v >= sign ? v - range : v, i);
    }
  }
}

/** Widens 8-bit samples to 16 bits (a decoder that returns bytes for data stored in 16-bit words). */
export function widen8To16(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) out.writeUInt16LE(bytes[i]!, i * 2);
  return out;
}
