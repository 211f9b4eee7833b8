import type { DicomDataset } from '@pacs/dicom';
import type { DecodedFrame } from './frame-decoder';
import { ImagingError } from './imaging.errors';
import { paletteLookup, readPalette } from './palette';
import type { RenderWindow } from './render-options';
import { ybrFullToRgb } from './sample-layout';
import { datasetWindow, minMaxWindow, modalityRescale, voiFunction } from './voi';

/** 8-bit pixels ready for an image format: gray (1 channel) or RGB (3), row by row. */
export interface DisplayImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

/**
 * A reader of the stored values of a frame: sample `i` (pixel * samples + sample) as an integer,
 * the bits above Bits Stored dropped and two's complement applied for signed data (PS3.5 8.1.1,
 * PS3.3 C.7.6.3.1.1). Samples are taken as starting at bit 0 (High Bit = Bits Stored - 1).
 */
function sampleReader(frame: DecodedFrame): (i: number) => number {
  const { pixels, bitsAllocated, bitsStored, pixelRepresentation } = frame;
  const mask = 2 ** bitsStored - 1;
  const sign = 2 ** (bitsStored - 1);
  const range = 2 ** bitsStored;
  const signed = pixelRepresentation === 1;
  const fix = (raw: number): number => {
    const value = bitsStored >= 32 ? raw : raw & mask;
    return signed && value >= sign ? value - range : value;
  };
  switch (bitsAllocated) {
    case 1:
      return (i) => (pixels[i >>> 3]! >>> (i & 7)) & 1;
    case 8:
      return (i) => fix(pixels[i]!);
    case 16:
      return (i) => fix(pixels.readUInt16LE(i * 2));
    default:
      return (i) => fix(pixels.readUInt32LE(i * 4));
  }
}

function grayscale(frame: DecodedFrame, dataset: DicomDataset, frameIndex: number, asked?: RenderWindow): Uint8Array {
  const count = frame.rows * frame.columns;
  const read = sampleReader(frame);
  const { slope, intercept } = modalityRescale(dataset, frameIndex);
  const stored = new Float64Array(count);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const value = read(i) * slope + intercept;
    stored[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  // PS3.4 N.2: Modality LUT, then VOI LUT (the window asked, else the data set's, else the range
  // of this frame), then the Presentation LUT: MONOCHROME1 shows low values bright (C.7.6.3.1.2).
  const window = asked ?? datasetWindow(dataset, frameIndex) ?? minMaxWindow(min, max);
  const voi = voiFunction(window);
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const out = new Uint8Array(count);
  const cache = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const x = stored[i]!;
    let y = cache.get(x);
    if (y === undefined) {
      y = voi(x);
      if (cache.size < 65536) cache.set(x, y);
    }
    out[i] = invert ? 255 - y : y;
  }
  return out;
}

function color(frame: DecodedFrame): Uint8Array {
  const count = frame.rows * frame.columns * 3;
  const read = sampleReader(frame);
  const top = 2 ** frame.bitsStored - 1;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const value = read(i);
    out[i] = frame.bitsStored === 8 ? value : Math.round((Math.max(0, value) * 255) / top);
  }
  const photometric = frame.photometricInterpretation;
  if (photometric === 'YBR_FULL') ybrFullToRgb(Buffer.from(out.buffer, out.byteOffset, out.length), 8, 1);
  else if (photometric !== 'RGB') {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Rendering ${photometric} is not supported`);
  }
  return out;
}

function palette(frame: DecodedFrame, dataset: DicomDataset): Uint8Array {
  const lookup = readPalette(dataset);
  const count = frame.rows * frame.columns;
  const read = sampleReader(frame);
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) paletteLookup(lookup, read(i), out, i * 3);
  return out;
}

/**
 * Turns a decoded frame into 8-bit display pixels (PS3.4 N.2 pixel transformation sequence):
 * MONOCHROME1/2 through Modality LUT (rescale), VOI window and presentation (inverted for
 * MONOCHROME1); RGB and YBR_FULL scaled to 8 bits, YBR_FULL converted to RGB; PALETTE COLOR looked
 * up in its tables. The window applies to grayscale only.
 */
export function toDisplayImage(
  frame: DecodedFrame,
  dataset: DicomDataset,
  frameIndex: number,
  window?: RenderWindow,
): DisplayImage {
  const photometric = frame.photometricInterpretation;
  const base = { width: frame.columns, height: frame.rows };
  if (photometric === 'MONOCHROME1' || photometric === 'MONOCHROME2') {
    return { ...base, channels: 1, pixels: grayscale(frame, dataset, frameIndex, window) };
  }
  if (photometric === 'PALETTE COLOR') return { ...base, channels: 3, pixels: palette(frame, dataset) };
  return { ...base, channels: 3, pixels: color(frame) };
}
