import type { DecodedFrame } from '../frame-decoder';

/** The samples of little endian bytes as numbers, per numpy dtype (u1 i1 u2 i2 u4 i4). */
export function samples(bytes: Buffer, dtype: string): number[] {
  const size = Number(dtype.slice(1));
  const signed = dtype.startsWith('i');
  const out: number[] = [];
  for (let p = 0; p + size <= bytes.length; p += size) {
    if (size === 1) out.push(signed ? bytes.readInt8(p) : bytes[p]!);
    else if (size === 2) out.push(signed ? bytes.readInt16LE(p) : bytes.readUInt16LE(p));
    else out.push(signed ? bytes.readInt32LE(p) : bytes.readUInt32LE(p));
  }
  return out;
}

/** The numpy dtype of decoded frames (what pydicom's pixel_array holds for them). */
export function dtypeOf(frame: DecodedFrame): string {
  const size = frame.bitsAllocated <= 8 ? 1 : frame.bitsAllocated / 8;
  return `${frame.pixelRepresentation === 1 ? 'i' : 'u'}${size}`;
}

/** Frames joined as pydicom lays them out: 1-bit samples unpacked to one byte each. */
export function joinedSamples(frames: readonly DecodedFrame[]): number[] {
  const first = frames[0]!;
  if (first.bitsAllocated === 1) {
    const out: number[] = [];
    for (const frame of frames) {
      for (let i = 0; i < frame.rows * frame.columns; i++) out.push((frame.pixels[i >>> 3]! >>> (i & 7)) & 1);
    }
    return out;
  }
  return samples(Buffer.concat(frames.map((frame) => frame.pixels)), dtypeOf(first));
}

/** Largest and mean absolute difference of two equally long sample lists. */
export function differences(a: readonly number[], b: readonly number[]): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`${a.length} samples against ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: a.length === 0 ? 0 : sum / a.length };
}
