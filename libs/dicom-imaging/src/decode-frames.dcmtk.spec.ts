import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPart10 } from '@pacs/dicom';
import { pydicomPath } from '@pacs/dicom/testing';
import { decodeFrames } from './decode-frames';
import { readFrames } from './read-frames';
import { convertWithDcmtk } from './testing/dcmtk';
import { differences, dtypeOf, joinedSamples, samples } from './testing/pixel-compare';
import { pixelReference, type PixelReference } from './testing/python-tools';
import { syntheticImageFile } from './testing/synthetic-images';

// Compressed files made by DCMTK (dcmcjpeg, dcmcjpls, dcmcrle) from native ones: lossless ones must
// decode to the native pixels exactly; lossy ones to what pydicom (Pillow) or DCMTK decode.

const corpus = (name: string): Buffer => readFileSync(pydicomPath(`test_files/${name}`));

const SOURCES: Readonly<Record<string, () => Buffer>> = {
  'CT 16-bit signed': () => corpus('CT_small.dcm'),
  'RGB 8-bit, 2 frames': () => convertWithDcmtk('dcmdrle', corpus('SC_rgb_rle_2frame.dcm')),
  '12-bit signed in 16, 3 frames': () =>
    syntheticImageFile({ rows: 40, columns: 30, frames: 3, bitsAllocated: 16, bitsStored: 12, signed: true }),
  '8-bit gray, 3 frames': () => syntheticImageFile({ rows: 48, columns: 64, frames: 3, bitsAllocated: 8 }),
  '12-bit unsigned': () => convertWithDcmtk('dcmdjpeg', corpus('JPEG-lossy.dcm')),
};

function syntaxOf(file: Buffer): string {
  const read = readPart10(file);
  if (read.status !== 'complete') throw new Error('incomplete');
  return read.transferSyntax.uid;
}

async function expectSamePixels(compressed: Buffer, native: Buffer): Promise<void> {
  const [ours, original] = await Promise.all([decodeFrames(compressed), decodeFrames(native)]);
  expect(ours).toHaveLength(original.length);
  expect(ours.map((f) => [f.rows, f.columns, f.samplesPerPixel, f.photometricInterpretation])).toEqual(
    original.map((f) => [f.rows, f.columns, f.samplesPerPixel, f.photometricInterpretation]),
  );
  expect(differences(joinedSamples(ours), joinedSamples(original)).max).toBe(0);
}

function referenceOf(file: Buffer): PixelReference {
  const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-ref-'));
  try {
    const path = join(folder, 'file.dcm');
    writeFileSync(path, file);
    const reference = pixelReference([path]).get(path);
    if (!reference || 'error' in reference) throw new Error(`no reference: ${reference?.error}`);
    return reference;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('lossless files made by DCMTK decode to the native pixels exactly', () => {
  const cases: [string, string, readonly string[], string][] = [
    ['dcmcjpeg', 'JPEG lossless SV1', ['+e1'], '1.2.840.10008.1.2.4.70'],
    ['dcmcjpeg', 'JPEG lossless, predictor 6', ['+el', '+sv', '6'], '1.2.840.10008.1.2.4.57'],
    ['dcmcjpeg', 'JPEG lossless, predictor 7', ['+el', '+sv', '7'], '1.2.840.10008.1.2.4.57'],
    ['dcmcjpls', 'JPEG-LS lossless, line interleaved', ['+el', '+il'], '1.2.840.10008.1.2.4.80'],
    ['dcmcjpls', 'JPEG-LS lossless, not interleaved (planes)', ['+el', '+in'], '1.2.840.10008.1.2.4.80'],
    ['dcmcjpls', 'JPEG-LS lossless, sample interleaved', ['+el', '+is'], '1.2.840.10008.1.2.4.80'],
    ['dcmcrle', 'RLE Lossless', [], '1.2.840.10008.1.2.5'],
  ];
  const sources = ['CT 16-bit signed', 'RGB 8-bit, 2 frames', '12-bit signed in 16, 3 frames', '8-bit gray, 3 frames'];
  it.each(
    cases.flatMap(([tool, name, args, uid]) =>
      sources.map((source) => [`${name} (${tool} ${args.join(' ')}) of ${source}`, tool, args, uid, source] as const),
    ),
  )('%s', async (_title, tool, args, uid, source) => {
    const native = SOURCES[source]!();
    const compressed = convertWithDcmtk(tool, native, args);
    expect(syntaxOf(compressed)).toBe(uid);
    await expectSamePixels(compressed, native);
  });

  it('sign-extends 12-bit signed samples decoded from JPEG lossless (stored bits only in the stream)', async () => {
    const native = SOURCES['12-bit signed in 16, 3 frames']!();
    const frames = await decodeFrames(convertWithDcmtk('dcmcjpeg', native, ['+e1']));
    const values = joinedSamples(frames);
    expect(Math.min(...values)).toBeLessThan(-1000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-2048);
    expect(Math.max(...values)).toBeLessThanOrEqual(2047);
    expect(dtypeOf(frames[0]!)).toBe('i2');
  });
});

describe('near-lossless JPEG-LS stays within its NEAR bound', () => {
  // DCMTK makes near-lossless JPEG-LS of unsigned samples only.
  it.each(['12-bit unsigned', 'RGB 8-bit, 2 frames', '8-bit gray, 3 frames'])('%s, NEAR=2', async (source) => {
    const native = SOURCES[source]!();
    const compressed = convertWithDcmtk('dcmcjpls', native, ['+en', '+md', '2']);
    expect(syntaxOf(compressed)).toBe('1.2.840.10008.1.2.4.81');
    const [ours, original] = await Promise.all([decodeFrames(compressed), decodeFrames(native)]);
    const diff = differences(joinedSamples(ours), joinedSamples(original));
    expect(diff.max).toBeLessThanOrEqual(2);
    expect(diff.max).toBeGreaterThan(0); // it is lossy: an exact match would mean no compression
  });
});

describe('lossy JPEG made by DCMTK decodes as pydicom or DCMTK decode it', () => {
  it.each([
    ['baseline, 8-bit gray, 3 frames', '8-bit gray, 3 frames', ['+eb'], '1.2.840.10008.1.2.4.50'],
    ['baseline, RGB to YBR_FULL_422, 2 frames', 'RGB 8-bit, 2 frames', ['+eb'], '1.2.840.10008.1.2.4.50'],
    ['baseline, RGB kept RGB', 'RGB 8-bit, 2 frames', ['+eb', '+cr'], '1.2.840.10008.1.2.4.50'],
    ['extended, 12-bit', '12-bit unsigned', ['+ee'], '1.2.840.10008.1.2.4.51'],
  ] as const)('%s', async (_name, source, args, uid) => {
    const compressed = convertWithDcmtk('dcmcjpeg', SOURCES[source]!(), args);
    expect(syntaxOf(compressed)).toBe(uid);
    const reference = referenceOf(compressed);
    const ours = await decodeFrames(compressed);
    expect(ours[0]!.photometricInterpretation).toBe(reference.photometric);
    const diff = differences(joinedSamples(ours), samples(reference.pixels, reference.dtype));
    expect(diff.max).toBeLessThanOrEqual(3);
    expect(diff.mean).toBeLessThanOrEqual(0.5);
  });
});

describe('frames split over many fragments (PS3.5 A.4)', () => {
  it.each([
    ['with a Basic Offset Table', '+ot'],
    ['without one: split at each frame start marker', '-ot'],
  ])('%s', async (_name, table) => {
    const native = SOURCES['RGB 8-bit, 2 frames']!();
    const whole = convertWithDcmtk('dcmcjpeg', native, ['+e1']);
    const fragmented = convertWithDcmtk('dcmcjpeg', native, ['+e1', '+fs', '1', table]);
    const read = readPart10(fragmented);
    if (read.status !== 'complete') throw new Error('incomplete');
    const items = read.dataset.get('PixelData')!.fragments!;
    expect(items.length).toBeGreaterThan(4); // 1 KB fragments: several a frame
    expect(items[0]!.length > 0).toBe(table === '+ot');
    // Same bitstreams, same pixels, whatever the fragmentation.
    const a = readFrames(whole);
    const b = readFrames(fragmented);
    expect(b.frames).toHaveLength(2);
    b.frames.forEach((frame, i) => expect(frame.equals(a.frames[i]!)).toBe(true));
    await expectSamePixels(fragmented, native);
  });
});
