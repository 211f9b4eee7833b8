/**
 * Encodes a frame as RLE Lossless (PS3.5 Annex G) for tests: samples little endian and
 * color-by-pixel in, one segment per byte of each sample (most significant first, G.2), each
 * segment as PackBits runs (G.3.1): repeats of 3 or more bytes as replicate runs, the rest literal.
 */
export function encodeRleFrame(pixels: Buffer, samplesPerPixel: number, bytesPerSample: number): Buffer {
  const pixelCount = pixels.length / (samplesPerPixel * bytesPerSample);
  const segments: Buffer[] = [];
  for (let sample = 0; sample < samplesPerPixel; sample++) {
    for (let significance = bytesPerSample - 1; significance >= 0; significance--) {
      const plane = Buffer.alloc(pixelCount);
      for (let p = 0; p < pixelCount; p++) {
        plane[p] = pixels[(p * samplesPerPixel + sample) * bytesPerSample + significance]!;
      }
      segments.push(packBits(plane));
    }
  }
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((segment, i) => {
    header.writeUInt32LE(offset, 4 + i * 4);
    offset += segment.length;
  });
  const frame = Buffer.concat([header, ...segments]);
  return frame.length % 2 === 0 ? frame : Buffer.concat([frame, Buffer.alloc(1)]);
}

function packBits(bytes: Buffer): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && run < 128 && bytes[i + run] === bytes[i]) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128) {
      if (i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2]) break;
      i++;
    }
    out.push(i - start - 1, ...bytes.subarray(start, i));
  }
  const segment = Buffer.from(out);
  return segment.length % 2 === 0 ? segment : Buffer.concat([segment, Buffer.from([0x80])]);
}
