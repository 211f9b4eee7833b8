import { encodePart10File, type TestElement } from '@pacs/dicom/testing';

/** What a synthetic image looks like. */
export interface SyntheticImage {
  readonly rows: number;
  readonly columns: number;
  readonly frames?: number;
  readonly samplesPerPixel?: 1 | 3;
  readonly bitsAllocated?: 8 | 16 | 32;
  readonly bitsStored?: number;
  readonly signed?: boolean;
  readonly photometricInterpretation?: string;
  /** Default Explicit VR Little Endian. */
  readonly transferSyntaxUid?: string;
  /** Native pixel data (little endian); default a pattern (patternPixels). */
  readonly pixels?: Buffer;
  /** Encapsulated pixel data instead: Basic Offset Table first. */
  readonly fragments?: readonly Buffer[];
  readonly elements?: readonly TestElement[];
}

/**
 * Deterministic content for every sample: smooth ramps (what compression keeps well) with a
 * scattering of noise (what it does not), covering the full range of the stored bits, signed
 * values sign-extended to the allocated bits.
 */
export function patternPixels(image: SyntheticImage): Buffer {
  const samples = image.samplesPerPixel ?? 1;
  const allocated = image.bitsAllocated ?? 16;
  const stored = image.bitsStored ?? allocated;
  const count = image.rows * image.columns * samples * (image.frames ?? 1);
  const out = Buffer.alloc(count * (allocated / 8));
  const range = 2 ** stored;
  let state = 12345;
  for (let i = 0; i < count; i++) {
    const pixel = Math.floor(i / samples);
    const x = pixel % image.columns;
    const y = Math.floor(pixel / image.columns) % image.rows;
    const frame = Math.floor(pixel / (image.rows * image.columns));
    state = (state * 1103515245 + 12345) >>> 0;
    const ramp = ((x + 2 * y + 7 * frame + 31 * (i % samples)) / (image.columns + 2 * image.rows)) * range;
    let value = Math.floor(state % 16 === 0 ? (state >>> 8) % range : ramp % range);
    if (image.signed) value -= range / 2;
    if (allocated === 8) out.writeUInt8(value & 0xff, i);
    else if (allocated === 16) out.writeUInt16LE(value & 0xffff, i * 2);
    else out.writeUInt32LE(value >>> 0, i * 4);
  }
  return out;
}

/** A Part 10 Secondary Capture-like image built with @pacs/dicom's test builder. */
export function syntheticImageFile(image: SyntheticImage): Buffer {
  const samples = image.samplesPerPixel ?? 1;
  const allocated = image.bitsAllocated ?? 16;
  const stored = image.bitsStored ?? allocated;
  const elements: TestElement[] = [
    { tag: 'SOPClassUID', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 'SOPInstanceUID', value: '1.2.826.0.1.3680043.10.1234.1' },
    { tag: 'StudyInstanceUID', value: '1.2.826.0.1.3680043.10.1234.2' },
    { tag: 'SeriesInstanceUID', value: '1.2.826.0.1.3680043.10.1234.3' },
    { tag: 'Modality', value: 'OT' },
    { tag: 'PatientName', value: 'Synthetic^Image' },
    { tag: 'SamplesPerPixel', value: samples },
    {
      tag: 'PhotometricInterpretation',
      value: image.photometricInterpretation ?? (samples === 3 ? 'RGB' : 'MONOCHROME2'),
    },
    { tag: 'Rows', value: image.rows },
    { tag: 'Columns', value: image.columns },
    { tag: 'BitsAllocated', value: allocated },
    { tag: 'BitsStored', value: stored },
    { tag: 'HighBit', value: stored - 1 },
    { tag: 'PixelRepresentation', value: image.signed ? 1 : 0 },
    ...(samples === 3 ? [{ tag: 'PlanarConfiguration', value: 0 }] : []),
    ...(image.frames !== undefined ? [{ tag: 'NumberOfFrames', value: String(image.frames) }] : []),
    ...(image.elements ?? []),
  ];
  const pixelData: TestElement = image.fragments
    ? { tag: 'PixelData', vr: 'OB', fragments: image.fragments }
    : { tag: 'PixelData', vr: allocated === 8 ? 'OB' : 'OW', value: image.pixels ?? patternPixels(image) };
  return encodePart10File({
    elements: [...elements.filter((e) => !image.elements?.some((o) => o !== e && o.tag === e.tag)), pixelData],
    transferSyntaxUid: image.transferSyntaxUid ?? '1.2.840.10008.1.2.1',
  });
}
