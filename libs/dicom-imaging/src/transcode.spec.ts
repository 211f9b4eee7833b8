import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isDicomAttributeError,
  isDicomParseError,
  readPart10,
  toDicomJson,
  type DicomJsonDataset,
  type Part10ReadResult,
} from '@pacs/dicom';
import { listPydicomFiles, pydicomPath } from '@pacs/dicom/testing';
import { decodeFrames } from './decode-frames';
import { isImagingError } from './imaging.errors';
import { transcodeToExplicitVrLittleEndian } from './transcode';
import { dcmdump } from './testing/dcmtk';
import { differences, joinedSamples, samples } from './testing/pixel-compare';
import { pixelReference } from './testing/python-tools';
import { encodeRleFrame } from './testing/rle-encoder';
import { patternPixels, syntheticImageFile } from './testing/synthetic-images';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
// What transcoding may change, besides Pixel Data: the color space and layout of decoded pixels,
// and the attributes of encapsulation (PS3.5 A.4).
const CHANGED = new Set(['00280004', '00280006', '7FE00001', '7FE00002', '7FE00003', '7FE00010']);

function parse(file: Buffer): Extract<Part10ReadResult, { status: 'complete' }> {
  const read = readPart10(file);
  if (read.status !== 'complete') throw new Error('incomplete');
  return read;
}

function withoutChanged(json: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(json).filter(([tag]) => !CHANGED.has(tag)));
}

const files = listPydicomFiles('test_files');
/** Transcoded corpus files with pixel data, for the pydicom check at the end. */
const withPixels = new Map<string, Buffer>();

describe('transcodeToExplicitVrLittleEndian on the pydicom test corpus', () => {
  it.each(files)('%s', async (key) => {
    const original = readFileSync(pydicomPath(key));
    let source: ReturnType<typeof parse>;
    try {
      source = parse(original);
    } catch (error) {
      // Not DICOM, or cut short: transcoding says so the same way.
      expect(isDicomParseError(error)).toBe(true);
      await expect(transcodeToExplicitVrLittleEndian(original)).rejects.toThrow(error as Error);
      return;
    }
    let transcoded: Buffer;
    try {
      transcoded = await transcodeToExplicitVrLittleEndian(original);
    } catch (error) {
      const meta = source.header.meta;
      const identified =
        (meta?.mediaStorageSopClassUid ?? source.dataset.string('SOPClassUID')) !== undefined &&
        (meta?.mediaStorageSopInstanceUid ?? source.dataset.string('SOPInstanceUID')) !== undefined;
      // A data set without SOP Class or Instance UID gets no file meta group; otherwise only pixel
      // data that does not decode stops it (a corrupted JPEG 2000 codestream).
      if (!identified) expect(isDicomAttributeError(error, 'MISSING_ATTRIBUTE')).toBe(true);
      else expect(source.transferSyntax.encapsulated && isImagingError(error, 'INVALID_PIXEL_DATA')).toBe(true);
      return;
    }

    const result = parse(transcoded);
    expect(result.header.layout).toBe('part10');
    expect(result.header.meta!.transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(result.encoding).toEqual({ explicitVr: true, littleEndian: true });
    expect(result.header.meta!.mediaStorageSopInstanceUid).toBe(
      source.header.meta?.mediaStorageSopInstanceUid ?? source.dataset.string('SOPInstanceUID'),
    );
    expect(withoutChanged(toDicomJson(result.dataset))).toEqual(withoutChanged(toDicomJson(source.dataset)));

    const dump = dcmdump(transcoded);
    expect(dump.stderr.trim()).toBe('');
    expect(dump.status).toBe(0);

    if (!source.dataset.has('PixelData')) return;
    let before;
    try {
      before = await decodeFrames(original);
    } catch {
      return; // pixel data that does not decode is kept as it is, byte order aside
    }
    const after = await decodeFrames(transcoded);
    expect(after.map((f) => f.photometricInterpretation)).toEqual(before.map((f) => f.photometricInterpretation));
    expect(differences(joinedSamples(after), joinedSamples(before)).max).toBe(0);
    if (source.transferSyntax.uid !== EXPLICIT_LE) withPixels.set(key, transcoded);
  });

  it('gives pydicom the same pixels from the transcoded files as decodeFrames from the originals', async () => {
    expect(withPixels.size).toBeGreaterThanOrEqual(40);
    const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-transcoded-'));
    try {
      const paths = [...withPixels.keys()].map((key, i) => {
        const path = join(folder, `${i}.dcm`);
        writeFileSync(path, withPixels.get(key)!);
        return [key, path] as const;
      });
      const references = pixelReference(paths.map(([, path]) => path));
      for (const [key, path] of paths) {
        const reference = references.get(path);
        if (!reference || 'error' in reference)
          throw new Error(`pydicom cannot read ${key} transcoded: ${reference?.error}`);
        const ours = await decodeFrames(readFileSync(pydicomPath(key)));
        const diff = differences(joinedSamples(ours), samples(reference.pixels, reference.dtype));
        expect({ key, max: diff.max }).toEqual({ key, max: 0 });
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('transcodeToExplicitVrLittleEndian: what changes', () => {
  it('returns a file already in Explicit VR Little Endian as it is', async () => {
    const file = readFileSync(pydicomPath('test_files/CT_small.dcm'));
    expect(await transcodeToExplicitVrLittleEndian(file)).toBe(file);
  });

  it('writes decoded lossy JPEG color as RGB, color-by-pixel, without the encapsulation attributes', async () => {
    const original = readFileSync(pydicomPath('test_files/SC_rgb_dcmtk_+eb+cy+np.dcm')); // YBR_FULL_422
    const result = parse(await transcodeToExplicitVrLittleEndian(original));
    expect(parse(original).dataset.string('PhotometricInterpretation')).toBe('YBR_FULL_422');
    expect(result.dataset.string('PhotometricInterpretation')).toBe('RGB');
    expect(result.dataset.number('PlanarConfiguration')).toBe(0);
    const pixels = result.dataset.get('PixelData')!;
    expect([pixels.vr, pixels.length, pixels.fragments]).toEqual(['OB', 100 * 100 * 3, undefined]);
    // Lossy stays lossy (PS3.3 C.7.6.1.1.5).
    expect(result.dataset.string('LossyImageCompression')).toBe(
      parse(original).dataset.string('LossyImageCompression'),
    );
  });

  it('writes 16-bit decoded pixel data as OW and drops the Extended Offset Table', async () => {
    const image = { rows: 6, columns: 5, frames: 2, bitsAllocated: 16, signed: true } as const;
    const pixels = patternPixels(image);
    const frames = [0, 1].map((i) => encodeRleFrame(pixels.subarray(i * 60, (i + 1) * 60), 1, 2));
    const offsets = Buffer.alloc(16);
    offsets.writeBigUInt64LE(BigInt(frames[0]!.length + 8), 8);
    const lengths = Buffer.alloc(16);
    frames.forEach((frame, i) => lengths.writeBigUInt64LE(BigInt(frame.length), i * 8));
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.5',
      fragments: [Buffer.alloc(0), ...frames],
      elements: [
        { tag: 'ExtendedOffsetTable', vr: 'OV', value: offsets },
        { tag: 'ExtendedOffsetTableLengths', vr: 'OV', value: lengths },
      ],
    });
    const result = parse(await transcodeToExplicitVrLittleEndian(file));
    const element = result.dataset.get('PixelData')!;
    expect(element.vr).toBe('OW');
    expect(result.dataset.bytesOf('PixelData')!.equals(pixels)).toBe(true);
    expect(result.dataset.has('ExtendedOffsetTable')).toBe(false);
    expect(result.dataset.has('ExtendedOffsetTableLengths')).toBe(false);
  });

  it('decodes the pixels of an Icon Image Sequence too (PS3.3 F.7: same transfer syntax as the image)', async () => {
    const icon = { rows: 4, columns: 4, bitsAllocated: 8 } as const;
    const iconPixels = patternPixels(icon);
    const image = { rows: 8, columns: 8, bitsAllocated: 8 } as const;
    const imagePixels = patternPixels(image);
    const file = syntheticImageFile({
      ...image,
      transferSyntaxUid: '1.2.840.10008.1.2.5',
      fragments: [Buffer.alloc(0), encodeRleFrame(imagePixels, 1, 1)],
      elements: [
        {
          tag: 'IconImageSequence',
          value: [
            [
              { tag: 'SamplesPerPixel', value: 1 },
              { tag: 'PhotometricInterpretation', value: 'MONOCHROME2' },
              { tag: 'Rows', value: 4 },
              { tag: 'Columns', value: 4 },
              { tag: 'BitsAllocated', value: 8 },
              { tag: 'BitsStored', value: 8 },
              { tag: 'HighBit', value: 7 },
              { tag: 'PixelRepresentation', value: 0 },
              { tag: 'PixelData', vr: 'OB', fragments: [Buffer.alloc(0), encodeRleFrame(iconPixels, 1, 1)] },
            ],
          ],
        },
      ],
    });
    const transcoded = await transcodeToExplicitVrLittleEndian(file);
    const result = parse(transcoded);
    expect(result.dataset.bytesOf('PixelData')!.equals(imagePixels)).toBe(true);
    const item = result.dataset.items('IconImageSequence')[0]!;
    expect(item.get('PixelData')!.fragments).toBeUndefined();
    expect(item.bytesOf('PixelData')!.equals(iconPixels)).toBe(true);
    expect(dcmdump(transcoded).status).toBe(0);
  });

  it('swaps every binary number of a big endian data set, nested ones included', async () => {
    const be = parse(await transcodeToExplicitVrLittleEndian(readFileSync(pydicomPath('test_files/rtdose_expb.dcm'))));
    const le = parse(readFileSync(pydicomPath('test_files/rtdose.dcm')));
    expect(be.dataset.bytesOf('PixelData')!.equals(le.dataset.bytesOf('PixelData')!)).toBe(true);
    expect(be.dataset.numbers('GridFrameOffsetVector')).toEqual(le.dataset.numbers('GridFrameOffsetVector'));
    expect(be.dataset.number('Rows')).toBe(10);
  });

  it('transcodes an instance without pixel data (implicit VR RT Plan)', async () => {
    const original = readFileSync(pydicomPath('test_files/rtplan.dcm'));
    const result = parse(await transcodeToExplicitVrLittleEndian(original));
    expect(result.transferSyntax.uid).toBe(EXPLICIT_LE);
    expect(toDicomJson(result.dataset)).toEqual(toDicomJson(parse(original).dataset));
  });

  it('refuses encapsulated pixel data it has no decoder for (UNSUPPORTED_TRANSFER_SYNTAX)', async () => {
    const file = syntheticImageFile({
      rows: 4,
      columns: 4,
      bitsAllocated: 8,
      transferSyntaxUid: '1.2.840.10008.1.2.4.100', // MPEG-2
      fragments: [Buffer.alloc(0), Buffer.alloc(16)],
    });
    await expect(transcodeToExplicitVrLittleEndian(file)).rejects.toMatchObject({
      code: 'UNSUPPORTED_TRANSFER_SYNTAX',
    });
  });
});
