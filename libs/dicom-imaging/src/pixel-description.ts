import type { DicomDataset } from '@pacs/dicom';
import { ImagingError } from './imaging.errors';

/** What the Image Pixel module (PS3.3 C.7.6.3) and Number of Frames say about the samples. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement (PS3.3 C.7.6.3.1.1 is silent on others: refused). */
  readonly pixelRepresentation: 0 | 1;
  readonly photometricInterpretation: string;
  /** 0 color-by-pixel, 1 color-by-plane (PS3.3 C.7.6.3.1.3); 0 for one sample per pixel. */
  readonly planarConfiguration: 0 | 1;
  /** Number of Frames (0028,0008); 1 when absent (single-frame IODs). */
  readonly numberOfFrames: number;
}

// Photometric Interpretations of PS3.3 C.7.6.3.1.2 and the samples each has.
const SAMPLES: Readonly<Record<string, number>> = {
  MONOCHROME1: 1,
  MONOCHROME2: 1,
  'PALETTE COLOR': 1,
  RGB: 3,
  YBR_FULL: 3,
  YBR_FULL_422: 3,
  YBR_PARTIAL_422: 3,
  YBR_PARTIAL_420: 3,
  YBR_ICT: 3,
  YBR_RCT: 3,
};

function positiveInteger(dataset: DicomDataset, keyword: string, fallback?: number): number {
  const value = dataset.number(keyword);
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `${keyword} is missing from the Image Pixel module`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `${keyword} ${value} is not a positive integer`);
  }
  return value;
}

/**
 * Reads and checks the Image Pixel module. Lenient where the field is (Bits Stored and High Bit
 * default from Bits Allocated, Photometric Interpretation from Samples per Pixel), strict where a
 * wrong guess would misread every sample: Rows, Columns and Bits Allocated must be present.
 */
export function readPixelDescription(dataset: DicomDataset): PixelDescription {
  const rows = positiveInteger(dataset, 'Rows');
  const columns = positiveInteger(dataset, 'Columns');
  const samplesPerPixel = positiveInteger(dataset, 'SamplesPerPixel', 1);
  const bitsAllocated = positiveInteger(dataset, 'BitsAllocated');
  if (![1, 8, 16, 32].includes(bitsAllocated)) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Bits Allocated ${bitsAllocated} is not 1, 8, 16 or 32`);
  }
  if (bitsAllocated === 1 && samplesPerPixel !== 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Bits Allocated 1 with ${samplesPerPixel} samples per pixel`);
  }
  const bitsStored = positiveInteger(dataset, 'BitsStored', bitsAllocated);
  const highBit = dataset.number('HighBit') ?? bitsStored - 1;
  if (bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new ImagingError(
      'UNSUPPORTED_PIXEL_FORMAT',
      `Bits Stored ${bitsStored} and High Bit ${highBit} do not fit Bits Allocated ${bitsAllocated}`,
    );
  }
  const representation = dataset.number('PixelRepresentation') ?? 0;
  if (representation !== 0 && representation !== 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Pixel Representation ${representation} is not 0 or 1`);
  }
  const photometricInterpretation =
    dataset.string('PhotometricInterpretation')?.toUpperCase() ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  const expected = SAMPLES[photometricInterpretation];
  if (expected === undefined) {
    throw new ImagingError(
      'UNSUPPORTED_PIXEL_FORMAT',
      `Photometric Interpretation ${photometricInterpretation} is not supported`,
    );
  }
  if (expected !== samplesPerPixel) {
    throw new ImagingError(
      'UNSUPPORTED_PIXEL_FORMAT',
      `Photometric Interpretation ${photometricInterpretation} needs ${expected} samples per pixel, not ${samplesPerPixel}`,
    );
  }
  const planar = samplesPerPixel > 1 ? (dataset.number('PlanarConfiguration') ?? 0) : 0;
  if (planar !== 0 && planar !== 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Planar Configuration ${planar} is not 0 or 1`);
  }
  const numberOfFrames = numberOfFramesOf(dataset);
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: representation,
    photometricInterpretation,
    planarConfiguration: planar,
    numberOfFrames,
  };
}

function numberOfFramesOf(dataset: DicomDataset): number {
  if (!dataset.has('NumberOfFrames')) return 1;
  const text = dataset.string('NumberOfFrames');
  // An empty value is as good as absent (Type 1 in the IODs, but written empty in the field).
  if (text === undefined) return 1;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Number of Frames "${text}" is not a positive integer`);
  }
  return value;
}

/**
 * Bits one frame takes in native (uncompressed) Pixel Data. Frames follow each other without
 * padding, so with Bits Allocated 1 a frame may start inside a byte (PS3.5 8.1.1). YBR_FULL_422
 * keeps two luminance samples per pair of chrominance samples: 2 samples a pixel (PS3.3 C.7.6.3.1.2).
 */
export function nativeFrameBits(description: PixelDescription): number {
  const { rows, columns, samplesPerPixel, bitsAllocated } = description;
  const samples = isSubsampled422(description) ? 2 : samplesPerPixel;
  return rows * columns * samples * bitsAllocated;
}

/** Native YBR with horizontally halved chrominance (PS3.3 C.7.6.3.1.2). */
export function isSubsampled422(description: PixelDescription): boolean {
  return (
    description.photometricInterpretation === 'YBR_FULL_422' ||
    description.photometricInterpretation === 'YBR_PARTIAL_422'
  );
}

/** Bytes of one decoded frame: every sample of every pixel, in whole bytes per sample. */
export function decodedFrameLength(description: PixelDescription): number {
  const { rows, columns, samplesPerPixel, bitsAllocated } = description;
  if (bitsAllocated === 1) return Math.ceil((rows * columns) / 8);
  return rows * columns * samplesPerPixel * (bitsAllocated / 8);
}
