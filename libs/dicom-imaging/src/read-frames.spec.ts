import { readFileSync } from 'node:fs';
import { isDicomParseError, readPart10 } from '@pacs/dicom';
import { pydicomPath } from '@pacs/dicom/testing';
import { decodeFrames } from './decode-frames';
import { ImagingError } from './imaging.errors';
import { readFrames } from './read-frames';
import { encodeRleFrame } from './testing/rle-encoder';
import { patternPixels, syntheticImageFile } from './testing/synthetic-images';

const corpus = (name: string): Buffer => readFileSync(pydicomPath(`test_files/${name}`));

function failure(body: () => unknown): ImagingError {
  try {
    body();
  } catch (error) {
    if (error instanceof ImagingError) return error;
    throw error;
  }
  throw new Error('no failure');
}

function u64(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((value, i) => out.writeBigUInt64LE(BigInt(value), i * 8));
  return out;
}

describe('readFrames: native pixel data', () => {
  it('slices each frame of a multi-frame instance, in the order asked, repeats allowed', () => {
    const file = corpus('rtdose.dcm'); // 15 frames of 10x10, 32 bits
    const all = readFrames(file);
    expect(all.numberOfFrames).toBe(15);
    expect(all.frames).toHaveLength(15);
    expect(all.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(all.storedTransferSyntaxUid).toBe('1.2.840.10008.1.2');
    const read = readPart10(file);
    if (read.status !== 'complete') throw new Error('incomplete');
    const element = read.dataset.get('PixelData')!;
    const value = file.subarray(element.offset, element.offset + element.length);
    all.frames.forEach((frame, i) => expect(frame.equals(value.subarray(i * 400, (i + 1) * 400))).toBe(true));
    const some = readFrames(file, [15, 2, 2]);
    expect(some.frames).toEqual([all.frames[14], all.frames[1], all.frames[1]]);
    expect(all.frames[14]!.equals(all.frames[1]!)).toBe(false);
  });

  it('returns big endian frames little endian: 32-bit samples swapped by 4 bytes (PS3.5 A.3)', () => {
    expect(readFrames(corpus('rtdose_expb.dcm')).frames).toEqual(readFrames(corpus('rtdose.dcm')).frames);
    expect(readFrames(corpus('MR_small_bigendian.dcm')).frames).toEqual(readFrames(corpus('MR_small.dcm')).frames);
  });

  it('repacks 1-bit frames that start inside a byte to start at bit 0 (PS3.5 8.1.1)', () => {
    // 3 frames of 3x3 one-bit pixels: 27 bits, frames 2 and 3 start at bits 9 and 18.
    const bits = [1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0];
    const packed = Buffer.alloc(4);
    bits.forEach((bit, i) => (packed[i >>> 3]! |= bit << (i & 7)));
    const file = syntheticImageFile({
      rows: 3,
      columns: 3,
      frames: 3,
      bitsAllocated: 8,
      pixels: packed,
      elements: [
        { tag: 'BitsAllocated', value: 1 },
        { tag: 'BitsStored', value: 1 },
        { tag: 'HighBit', value: 0 },
      ],
    });
    const { frames } = readFrames(file);
    frames.forEach((frame, f) => {
      expect(frame).toHaveLength(2);
      const got = Array.from({ length: 9 }, (_, i) => (frame[i >>> 3]! >>> (i & 7)) & 1);
      expect(got).toEqual(bits.slice(f * 9, f * 9 + 9));
      expect(frame[1]! >>> 1).toBe(0); // the next frame's bits are not carried along
    });
  });

  it('refuses native pixel data shorter than its frames', () => {
    const file = syntheticImageFile({ rows: 4, columns: 4, frames: 2, bitsAllocated: 8, pixels: Buffer.alloc(30) });
    const error = failure(() => readFrames(file, [1]));
    expect(error.code).toBe('INVALID_PIXEL_DATA');
    expect(error.message).toMatch(/holds 30 bytes, 2 frame\(s\) .* need 32/);
  });
});

describe('readFrames: encapsulated pixel data (PS3.5 A.4)', () => {
  it('returns each RLE frame as stored, one fragment a frame', () => {
    const file = corpus('SC_rgb_rle_2frame.dcm');
    const read = readPart10(file);
    if (read.status !== 'complete') throw new Error('incomplete');
    const fragments = read.dataset.get('PixelData')!.fragments!.slice(1);
    const { frames, transferSyntaxUid, numberOfFrames } = readFrames(file);
    expect([transferSyntaxUid, numberOfFrames]).toEqual(['1.2.840.10008.1.2.5', 2]);
    frames.forEach((frame, i) => {
      const fragment = fragments[i]!;
      expect(frame.equals(file.subarray(fragment.offset, fragment.offset + fragment.length))).toBe(true);
    });
  });

  it('follows the Extended Offset Table and trims each frame to its length (PS3.3 C.7.6.3.1.8)', async () => {
    const image = { rows: 5, columns: 7, frames: 3, bitsAllocated: 8 } as const;
    const pixels = patternPixels(image);
    const frames = [0, 1, 2].map((i) => encodeRleFrame(pixels.subarray(i * 35, (i + 1) * 35), 1, 1));
    // Fragments longer than their frames (trailing bytes the lengths leave out).
    const fragments = frames.map((frame) => Buffer.concat([frame, Buffer.from([0xee, 0xee])]));
    // Item offsets: each fragment's item tag relative to the first (8-byte item headers).
    const offsets = [0, fragments[0]!.length + 8, fragments[0]!.length + fragments[1]!.length + 16];
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.5',
      fragments: [Buffer.alloc(0), ...fragments],
      elements: [
        { tag: 'ExtendedOffsetTable', vr: 'OV', value: u64(offsets) },
        { tag: 'ExtendedOffsetTableLengths', vr: 'OV', value: u64(frames.map((f) => f.length)) },
      ],
    });
    const read = readFrames(file, [3, 1]);
    expect(read.frames[0]!.equals(frames[2]!)).toBe(true);
    expect(read.frames[1]!.equals(frames[0]!)).toBe(true);
    const decoded = await decodeFrames(file);
    expect(Buffer.concat(decoded.map((f) => f.pixels)).equals(pixels)).toBe(true);
  });

  it('refuses an Extended Offset Table that points between fragments', () => {
    const image = { rows: 2, columns: 2, frames: 2, bitsAllocated: 8 } as const;
    const frames = [encodeRleFrame(Buffer.alloc(4, 1), 1, 1), encodeRleFrame(Buffer.alloc(4, 2), 1, 1)];
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.5',
      fragments: [Buffer.alloc(0), ...frames],
      elements: [
        { tag: 'ExtendedOffsetTable', vr: 'OV', value: u64([0, 3]) },
        { tag: 'ExtendedOffsetTableLengths', vr: 'OV', value: u64([70, 70]) },
      ],
    });
    expect(failure(() => readFrames(file)).message).toMatch(/Extended Offset Table/);
  });

  it('refuses fragments that cannot be told apart: more than frames, no table, no start marker (RLE)', () => {
    const frame = encodeRleFrame(Buffer.alloc(16, 7), 1, 1);
    const file = syntheticImageFile({
      rows: 4,
      columns: 4,
      frames: 2,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.5',
      fragments: [Buffer.alloc(0), frame.subarray(0, 40), frame.subarray(40), frame],
    });
    const error = failure(() => readFrames(file));
    expect(error.code).toBe('INVALID_PIXEL_DATA');
    expect(error.message).toMatch(/3 fragments .* 2 frames: no usable offset table/);
  });

  it('refuses video syntaxes: one bitstream for all frames (PS3.5 A.4.5)', () => {
    const file = syntheticImageFile({
      rows: 4,
      columns: 4,
      frames: 2,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.4.102',
      fragments: [Buffer.alloc(0), Buffer.alloc(8)],
    });
    const error = failure(() => readFrames(file));
    expect(error.code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect(error.message).toMatch(/MPEG-4 AVC\/H.264 .* video stream/);
  });

  it('finds the fragment holding a sequence delimiter as bytes (it is data, not a delimiter)', () => {
    const { frames } = readFrames(corpus('JPEG2000-embedded-sequence-delimiter.dcm'));
    expect(frames).toHaveLength(1);
    expect(frames[0]!).toHaveLength(250);
    expect(frames[0]!.includes(Buffer.from([0xfe, 0xff, 0xdd, 0xe0]))).toBe(true);
  });
});

describe('readFrames and decodeFrames: bad input', () => {
  it('NO_PIXEL_DATA for an instance without Pixel Data', async () => {
    const error = failure(() => readFrames(corpus('rtplan.dcm')));
    expect(error.code).toBe('NO_PIXEL_DATA');
    expect(error.message).toMatch(/no Pixel Data \(7FE0,0010\)/);
    await expect(decodeFrames(corpus('rtplan.dcm'))).rejects.toMatchObject({ code: 'NO_PIXEL_DATA' });
  });

  it.each([
    [0, /Frame 0 is out of range: the instance has 15 frames \(1-15\)/],
    [16, /Frame 16 is out of range/],
    [-1, /Frame -1/],
    [1.5, /Frame 1.5/],
    [Number.NaN, /Frame NaN/],
  ])('FRAME_OUT_OF_RANGE for frame %s of 15', async (frame, message) => {
    const file = corpus('rtdose.dcm');
    const error = failure(() => readFrames(file, [1, frame]));
    expect(error.code).toBe('FRAME_OUT_OF_RANGE');
    expect(error.message).toMatch(message);
    await expect(decodeFrames(file, [frame])).rejects.toMatchObject({ code: 'FRAME_OUT_OF_RANGE' });
  });

  it('FRAME_OUT_OF_RANGE names a single frame instance as such', () => {
    expect(failure(() => readFrames(corpus('CT_small.dcm'), [2])).message).toMatch(/has 1 frame \(1-1\)/);
  });

  it('UNSUPPORTED_TRANSFER_SYNTAX from decodeFrames for a syntax without decoder, while readFrames splits it', async () => {
    const file = syntheticImageFile({
      rows: 4,
      columns: 4,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.4.92', // JPEG 2000 Part 2 multi-component
      fragments: [Buffer.alloc(0), Buffer.from([0xff, 0x4f, 0xff, 0x51])],
    });
    expect(readFrames(file).frames).toHaveLength(1);
    await expect(decodeFrames(file)).rejects.toMatchObject({
      code: 'UNSUPPORTED_TRANSFER_SYNTAX',
      message: expect.stringMatching(/No decoder for JPEG 2000 Part 2 .*\(1.2.840.10008.1.2.4.92\)/),
    });
  });

  it('UNSUPPORTED_PIXEL_FORMAT naming what is wrong in the Image Pixel module', () => {
    const cases: [Record<string, unknown>[], RegExp][] = [
      [[{ tag: 'BitsAllocated', value: 12 }], /Bits Allocated 12 is not 1, 8, 16 or 32/],
      [[{ tag: 'BitsStored', value: 17 }], /Bits Stored 17 and High Bit .* do not fit Bits Allocated 16/],
      [[{ tag: 'PhotometricInterpretation', value: 'CMYK' }], /Photometric Interpretation CMYK is not supported/],
      [[{ tag: 'PhotometricInterpretation', value: 'RGB' }], /RGB needs 3 samples per pixel, not 1/],
      [[{ tag: 'NumberOfFrames', value: 'x' }], /Number of Frames "x" is not a positive integer/],
    ];
    for (const [elements, message] of cases) {
      const file = syntheticImageFile({ rows: 2, columns: 2, elements: elements as never });
      const error = failure(() => readFrames(file));
      expect(error.code).toBe('UNSUPPORTED_PIXEL_FORMAT');
      expect(error.message).toMatch(message);
    }
  });

  it('INVALID_PIXEL_DATA, with the decoder message, for a bitstream that does not decode', async () => {
    const file = syntheticImageFile({
      rows: 4,
      columns: 4,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
      fragments: [Buffer.alloc(0), Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0, 3, 0, 0])],
    });
    await expect(decodeFrames(file)).rejects.toMatchObject({
      code: 'INVALID_PIXEL_DATA',
      message: expect.stringMatching(/The Jpeg decoder failed: /),
    });
  });

  it('DicomParseError (not ImagingError) for bytes that are not DICOM', () => {
    let caught: unknown;
    try {
      readFrames(Buffer.from('not a DICOM file at all, just text'));
    } catch (error) {
      caught = error;
    }
    expect(isDicomParseError(caught, 'NOT_DICOM')).toBe(true);
  });
});
