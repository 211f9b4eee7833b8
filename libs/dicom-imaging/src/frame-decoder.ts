import { inflateRawSync, inflateSync } from 'node:zlib';
import { ImagingError } from './imaging.errors';
import { adobeTransform, jpegLsInterleaveMode } from './jpeg-markers';
import { decodedFrameLength, nativeFrameBits, type PixelDescription } from './pixel-description';
import type { PixelCodec } from './pixel-codecs';
import { decodeRleFrame } from './rle-decoder';
import { expandYbr422, planarToInterleaved, signExtend, widen8To16, ybrFullToRgb } from './sample-layout';
import { decodeWithWasm, type WasmDecoder } from './wasm-codecs';

/** Decoded native pixels of one frame: little endian, color-by-pixel (Planar Configuration 0). */
export interface DecodedFrame {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /** 1, 8, 16 or 32; with 1 the pixels stay packed 8 to a byte, least significant bit first. */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: number;
  /**
   * As the pixels are now: the instance's, except RGB for lossy JPEG color (decoded from YCbCr) and
   * JPEG 2000 / HTJ2K with a multiple component transform (YBR_ICT, YBR_RCT), and YBR_FULL for
   * native YBR_FULL_422 (expanded to one chrominance pair per pixel).
   */
  readonly photometricInterpretation: string;
  readonly pixels: Buffer;
}

function frameOf(description: PixelDescription, photometricInterpretation: string, pixels: Buffer): DecodedFrame {
  return {
    rows: description.rows,
    columns: description.columns,
    samplesPerPixel: description.samplesPerPixel,
    bitsAllocated: description.bitsAllocated,
    bitsStored: description.bitsStored,
    pixelRepresentation: description.pixelRepresentation,
    photometricInterpretation,
    pixels,
  };
}

/** A native frame (little endian, as stored) in the layout of DecodedFrame. */
export function normalizeNativeFrame(description: PixelDescription, frame: Buffer): DecodedFrame {
  const { rows, columns, samplesPerPixel, bitsAllocated, photometricInterpretation } = description;
  const bytesPerSample = Math.max(1, bitsAllocated / 8);
  if (photometricInterpretation === 'YBR_FULL_422') {
    return frameOf(description, 'YBR_FULL', expandYbr422(frame, rows, columns, bytesPerSample));
  }
  if (photometricInterpretation === 'YBR_PARTIAL_422' || photometricInterpretation === 'YBR_PARTIAL_420') {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Native ${photometricInterpretation} is not supported`);
  }
  const expected = decodedFrameLength(description);
  if (frame.length < expected) {
    throw new ImagingError('INVALID_PIXEL_DATA', `A frame holds ${frame.length} bytes, ${expected} expected`);
  }
  const exact = frame.length === expected ? frame : frame.subarray(0, expected);
  if (samplesPerPixel > 1 && description.planarConfiguration === 1) {
    return frameOf(
      description,
      photometricInterpretation,
      planarToInterleaved(exact, rows * columns, samplesPerPixel, bytesPerSample),
    );
  }
  return frameOf(description, photometricInterpretation, exact);
}

const WASM_DECODERS: Partial<Record<PixelCodec, WasmDecoder>> = {
  jpeg: 'decodeJpeg',
  'jpeg-lossless': 'decodeJpeg',
  'jpeg-ls': 'decodeJpegLs',
  'jpeg-2000': 'decodeJpeg2000',
  htj2k: 'decodeHtJpeg2000',
  'jpeg-xl': 'decodeJpegXl',
};

/**
 * What a codec returns, color-wise (PS3.5 8.2): lossy JPEG color is YCbCr to convert here to RGB
 * when the instance says YBR (8.2.1), or says RGB but carries an Adobe APP14 marker with the YCbCr
 * transform; JPEG 2000 and HTJ2K undo their multiple component transform themselves, so YBR_ICT and
 * YBR_RCT come out RGB (8.2.4); every decoder returns full chrominance, so 4:2:2 comes out YBR_FULL.
 */
function colorAfterDecoding(
  codec: PixelCodec,
  description: PixelDescription,
  frame: Buffer,
): { readonly toRgb: boolean; readonly photometricInterpretation: string } {
  const photometric = description.photometricInterpretation;
  if (description.samplesPerPixel !== 3) return { toRgb: false, photometricInterpretation: photometric };
  if (codec === 'jpeg' && (photometric.startsWith('YBR') || (photometric === 'RGB' && adobeTransform(frame) === 1))) {
    return { toRgb: true, photometricInterpretation: 'RGB' };
  }
  if ((codec === 'jpeg-2000' || codec === 'htj2k') && (photometric === 'YBR_ICT' || photometric === 'YBR_RCT')) {
    return { toRgb: false, photometricInterpretation: 'RGB' };
  }
  return { toRgb: false, photometricInterpretation: photometric === 'YBR_FULL_422' ? 'YBR_FULL' : photometric };
}

async function decodeCompressed(codec: PixelCodec, description: PixelDescription, frame: Buffer): Promise<Buffer> {
  const decoder = WASM_DECODERS[codec];
  if (!decoder) throw new ImagingError('UNSUPPORTED_TRANSFER_SYNTAX', `No decoder for ${codec}`);
  const { rows, columns, samplesPerPixel, bitsAllocated } = description;
  if (samplesPerPixel === 3 && bitsAllocated > 8 && codec === 'jpeg-2000') {
    // The module's JPEG 2000 path writes color samples as bytes only.
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `JPEG 2000 color with Bits Allocated ${bitsAllocated}`);
  }
  let pixels = (await decodeWithWasm(decoder, frame, description)).pixels;
  const expected = decodedFrameLength(description);
  if (pixels.length * 2 === expected && bitsAllocated === 16) pixels = widen8To16(pixels);
  if (pixels.length !== expected) {
    throw new ImagingError(
      'INVALID_PIXEL_DATA',
      `The ${codec} bitstream decodes to ${pixels.length} bytes; ${rows}x${columns}x${samplesPerPixel} at ${bitsAllocated} bits is ${expected}`,
    );
  }
  // JPEG-LS without interleaving codes one scan per component: the decoder returns planes.
  if (codec === 'jpeg-ls' && samplesPerPixel > 1 && jpegLsInterleaveMode(frame) === 0) {
    pixels = planarToInterleaved(pixels, rows * columns, samplesPerPixel, bitsAllocated / 8);
  }
  return pixels;
}

/**
 * Decodes one frame as stored (a native frame, or a compressed bitstream of the given codec) to a
 * DecodedFrame. Compressed signed samples narrower than their words are sign-extended (the JPEG
 * family returns the stored bits only); native frames keep their bytes.
 */
export async function decodeFrame(
  codec: PixelCodec,
  description: PixelDescription,
  frame: Buffer,
): Promise<DecodedFrame> {
  switch (codec) {
    case 'native':
    case 'encapsulated-uncompressed':
      return normalizeNativeFrame(description, frame);
    case 'deflate':
      return normalizeNativeFrame(description, inflateFrame(frame, Math.ceil(nativeFrameBits(description) / 8)));
    default:
      break;
  }
  if (description.bitsAllocated === 1) {
    throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', `Bits Allocated 1 in ${codec} pixel data`);
  }
  const pixels =
    codec === 'rle' ? decodeRleFrame(frame, description) : await decodeCompressed(codec, description, frame);
  if (description.pixelRepresentation === 1) {
    signExtend(pixels, description.bitsAllocated, description.bitsStored);
  }
  const color = colorAfterDecoding(codec, description, frame);
  if (color.toRgb) ybrFullToRgb(pixels, description.bitsStored, description.bitsAllocated === 8 ? 1 : 2);
  return frameOf(description, color.photometricInterpretation, pixels);
}

// Deflated Image Frame Compression: each frame a deflate stream (RFC 1951); a zlib wrapper
// (RFC 1950) is accepted too, as for the deflated data sets of PS3.5 A.5. Inflating stops past the
// size of a native frame: a small fragment cannot make the process allocate gigabytes.
function inflateFrame(frame: Buffer, frameLength: number): Buffer {
  const options = { maxOutputLength: frameLength + 1 };
  try {
    if (frame[0] === 0x78) {
      try {
        return inflateSync(frame, options);
      } catch {
        // not zlib after all: raw deflate below
      }
    }
    return inflateRawSync(frame, options);
  } catch (error) {
    throw new ImagingError('INVALID_PIXEL_DATA', `A deflated frame does not inflate: ${String(error)}`, undefined, {
      cause: error,
    });
  }
}
