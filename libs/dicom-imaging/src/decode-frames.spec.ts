import { deflateRawSync, deflateSync } from 'node:zlib';
import { decodeFrames } from './decode-frames';
import { readFrames } from './read-frames';
import { patternPixels, syntheticImageFile, type SyntheticImage } from './testing/synthetic-images';

// Syntaxes without test files in the corpus or DCMTK: frames built here from native pixels.

function frames(image: SyntheticImage): Buffer[] {
  const all = patternPixels(image);
  const size = all.length / (image.frames ?? 1);
  return Array.from({ length: image.frames ?? 1 }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

function pad(bytes: Buffer): Buffer {
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(1)]);
}

describe('decodeFrames: syntaxes built here', () => {
  const image: SyntheticImage = { rows: 9, columns: 11, frames: 3, bitsAllocated: 16, signed: true };

  it('Encapsulated Uncompressed Explicit VR Little Endian: each fragment a native frame (PS3.5 A.4.11)', async () => {
    const native = frames(image);
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.1.98',
      fragments: [Buffer.alloc(0), ...native],
    });
    const decoded = await decodeFrames(file);
    expect(decoded.map((frame) => frame.pixels)).toEqual(native);
    expect(readFrames(file, [2]).frames).toEqual([native[1]]);
  });

  it.each([
    ['raw deflate (RFC 1951)', deflateRawSync],
    ['zlib-wrapped deflate (RFC 1950)', deflateSync],
  ])('Deflated Image Frame Compression, %s: each frame inflated (PS3.5 A.4.13)', async (_name, deflate) => {
    const native = frames(image);
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.8.1',
      fragments: [Buffer.alloc(0), ...native.map((frame) => pad(deflate(frame)))],
    });
    expect((await decodeFrames(file)).map((frame) => frame.pixels)).toEqual(native);
  });

  it('refuses a deflated frame that does not inflate', async () => {
    const file = syntheticImageFile({
      ...image,
      frames: 1,
      transferSyntaxUid: '1.2.840.10008.1.2.8.1',
      fragments: [Buffer.alloc(0), Buffer.from('not deflated')],
    });
    await expect(decodeFrames(file)).rejects.toMatchObject({ code: 'INVALID_PIXEL_DATA' });
  });

  it('stops inflating a deflated frame past the size of a native frame (no decompression bomb)', async () => {
    const file = syntheticImageFile({
      rows: 3,
      columns: 3,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.8.1',
      fragments: [Buffer.alloc(0), pad(deflateRawSync(Buffer.alloc(64 * 1024 * 1024)))],
    });
    await expect(decodeFrames(file)).rejects.toMatchObject({ code: 'INVALID_PIXEL_DATA' });
  });

  it('interleaves native color-by-plane frames (Planar Configuration 1, PS3.3 C.7.6.3.1.3)', async () => {
    const planes = Buffer.from([1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 250, 255]); // R R R R G G G G B B B B
    const file = syntheticImageFile({
      rows: 2,
      columns: 2,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      pixels: planes,
      elements: [{ tag: 'PlanarConfiguration', value: 1 }],
    });
    const [frame] = await decodeFrames(file);
    expect([...frame!.pixels]).toEqual([1, 10, 100, 2, 20, 200, 3, 30, 250, 4, 40, 255]);
  });

  it('expands native YBR_FULL_422 (Y1 Y2 Cb Cr per pair) to YBR_FULL (PS3.3 C.7.6.3.1.2)', async () => {
    const packed = Buffer.from([10, 20, 128, 130, 30, 40, 100, 90]);
    const file = syntheticImageFile({
      rows: 1,
      columns: 4,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      photometricInterpretation: 'YBR_FULL_422',
      pixels: packed,
    });
    const [frame] = await decodeFrames(file);
    expect(frame!.photometricInterpretation).toBe('YBR_FULL');
    expect([...frame!.pixels]).toEqual([10, 128, 130, 20, 128, 130, 30, 100, 90, 40, 100, 90]);
  });
});
