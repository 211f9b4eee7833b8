import { readFileSync } from 'node:fs';
import { isDicomParseError, readPart10 } from '@pacs/dicom';
import { listPydicomFiles, pydicomPath } from '@pacs/dicom/testing';
import { decodeFrames } from './decode-frames';
import type { DecodedFrame } from './frame-decoder';
import { ImagingError, isImagingError } from './imaging.errors';
import { differences, dtypeOf, joinedSamples, samples } from './testing/pixel-compare';
import { pixelReference, type PixelReference } from './testing/python-tools';

// Every file of pydicom's test corpus, decoded here and by pydicom (numpy, Pillow and RLE handlers;
// DCMTK first for the syntaxes those lack). Lossless syntaxes must match exactly; lossy ones within
// the rounding of two independent IDCT / color conversion implementations.
const LOSSY = new Set([
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.91',
]);
const LOSSY_TOLERANCE = { max: 3, mean: 0.5 };

// Files pydicom refuses but this library reads, and why.
const ONLY_DECODED_HERE: Readonly<Record<string, string>> = {
  // Pillow's OpenJPEG binding reports "broken data stream"; OpenJPEG itself decodes it.
  'test_files/GDCMJ2K_TextGBR.dcm': 'JPEG 2000 with YBR_RCT, read as RGB',
};

// Files with pixel data that must fail, and how (pydicom fails on each too).
const EXPECTED_FAILURES: Readonly<Record<string, (error: unknown) => boolean>> = {
  // Pixel Data longer than the file: the parser says TRUNCATED.
  'test_files/MR_truncated.dcm': (error) => isDicomParseError(error, 'TRUNCATED'),
  // A JPEG 2000 codestream with a sequence delimiter written into its SIZ marker.
  'test_files/JPEG2000-embedded-sequence-delimiter.dcm': (error) => isImagingError(error, 'INVALID_PIXEL_DATA'),
  // Number of Frames "1A".
  'test_files/badVR.dcm': (error) => isImagingError(error, 'UNSUPPORTED_PIXEL_FORMAT'),
  // Pixel Data without Rows, Columns, Bits Allocated.
  'test_files/nested_priv_SQ.dcm': (error) => isImagingError(error, 'UNSUPPORTED_PIXEL_FORMAT'),
  'test_files/meta_missing_tsyntax.dcm': (error) => isImagingError(error, 'UNSUPPORTED_PIXEL_FORMAT'),
};

const files = listPydicomFiles('test_files');
let references: Map<string, PixelReference | { error: string }>;

beforeAll(() => {
  references = pixelReference(files.map(pydicomPath));
}, 120_000);

function transferSyntaxOf(file: Buffer): string | undefined {
  try {
    const read = readPart10(file);
    return read.status === 'complete' ? read.transferSyntax.uid : undefined;
  } catch {
    return undefined;
  }
}

async function outcome(file: Buffer): Promise<DecodedFrame[] | { error: unknown }> {
  try {
    return await decodeFrames(file);
  } catch (error) {
    return { error };
  }
}

// The photometric interpretation pydicom reports, as this library names the same pixels.
function expectedPhotometric(reference: PixelReference): string {
  // pydicom expands native YBR_FULL_422 to full chrominance but keeps the name.
  return reference.photometric === 'YBR_FULL_422' ? 'YBR_FULL' : reference.photometric;
}

const compared: string[] = [];

describe('decodeFrames against pydicom on the pydicom test corpus', () => {
  it.each(files)('%s', async (key) => {
    const file = readFileSync(pydicomPath(key));
    const reference = references.get(pydicomPath(key));
    const ours = await outcome(file);
    if (!reference) throw new Error(`no reference for ${key}`);

    if ('error' in reference) {
      if (!('error' in ours)) {
        expect(ONLY_DECODED_HERE[key]).toBeDefined();
        return;
      }
      const expected = EXPECTED_FAILURES[key];
      if (expected) expect(expected(ours.error)).toBe(true);
      else if (reference.error === 'no Pixel Data') {
        // No pixel data: NO_PIXEL_DATA, or not DICOM at all for the README and JSON files.
        expect(isImagingError(ours.error, 'NO_PIXEL_DATA') || isDicomParseError(ours.error)).toBe(true);
      } else {
        throw new Error(`${key}: pydicom failed (${reference.error}) and so did we: ${String(ours.error)}`);
      }
      return;
    }

    if ('error' in ours) throw ours.error instanceof ImagingError ? ours.error : new Error(String(ours.error));
    const first = ours[0]!;
    const frames = reference.shape.length > (first.samplesPerPixel > 1 ? 3 : 2) ? reference.shape[0]! : 1;
    expect(ours).toHaveLength(frames);
    expect([first.rows, first.columns]).toEqual(reference.shape.slice(frames > 1 ? 1 : 0, frames > 1 ? 3 : 2));
    expect(first.photometricInterpretation).toBe(expectedPhotometric(reference));
    if (first.bitsAllocated > 1) expect(dtypeOf(first)).toBe(reference.dtype);

    const diff = differences(joinedSamples(ours), samples(reference.pixels, reference.dtype));
    const syntax = transferSyntaxOf(file)!;
    if (LOSSY.has(syntax)) {
      expect(diff.max).toBeLessThanOrEqual(LOSSY_TOLERANCE.max);
      expect(diff.mean).toBeLessThanOrEqual(LOSSY_TOLERANCE.mean);
    } else {
      expect(diff.max).toBe(0);
    }
    compared.push(`${key} (${reference.route}, ${syntax})`);
  });

  it('compared enough files and every decoded syntax of the corpus', () => {
    expect(compared.length).toBeGreaterThanOrEqual(60);
    const syntaxes = new Set(compared.map((entry) => entry.slice(entry.lastIndexOf(', ') + 2, -1)));
    for (const uid of [
      '1.2.840.10008.1.2',
      '1.2.840.10008.1.2.1',
      '1.2.840.10008.1.2.1.99',
      '1.2.840.10008.1.2.2',
      '1.2.840.10008.1.2.5',
      '1.2.840.10008.1.2.4.50',
      '1.2.840.10008.1.2.4.51',
      '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.80',
      '1.2.840.10008.1.2.4.90',
      '1.2.840.10008.1.2.4.91',
    ]) {
      expect(syntaxes).toContain(uid);
    }
  });

  it('reads the colors of GDCMJ2K_TextGBR (red, green and blue text on gray) that pydicom cannot', async () => {
    const [frame] = await decodeFrames(readFileSync(pydicomPath('test_files/GDCMJ2K_TextGBR.dcm')));
    const count = (test: (r: number, g: number, b: number) => boolean): number => {
      let n = 0;
      for (let i = 0; i < frame!.pixels.length; i += 3) {
        if (test(frame!.pixels[i]!, frame!.pixels[i + 1]!, frame!.pixels[i + 2]!)) n++;
      }
      return n;
    };
    const strong = (own: number, a: number, b: number): boolean => own > 200 && a < 60 && b < 60;
    expect(frame!.photometricInterpretation).toBe('RGB');
    expect(count((r, g, b) => strong(r, g, b))).toBeGreaterThan(1000);
    expect(count((r, g, b) => strong(g, r, b))).toBeGreaterThan(1000);
    expect(count((r, g, b) => strong(b, r, g))).toBeGreaterThan(1000);
    expect(count((r, g, b) => Math.abs(r - g) < 8 && Math.abs(g - b) < 8)).toBeGreaterThan(400 * 400 * 0.5);
  });
});
