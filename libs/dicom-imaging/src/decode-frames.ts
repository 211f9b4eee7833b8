import { encapsulatedFrames } from './encapsulated-frames';
import { decodeFrame, type DecodedFrame } from './frame-decoder';
import { ImagingError } from './imaging.errors';
import { nativeFrames } from './native-frames';
import { pixelCodecOf, type PixelCodec } from './pixel-codecs';
import { frameIndexes, openPixelSource, type PixelSource } from './pixel-source';

/** The codec of an opened instance; UNSUPPORTED_TRANSFER_SYNTAX when no decoder here reads it. */
export function codecOf(source: PixelSource): PixelCodec {
  const codec = pixelCodecOf(source.transferSyntax);
  if (!codec) {
    const { name, uid } = source.transferSyntax;
    throw new ImagingError('UNSUPPORTED_TRANSFER_SYNTAX', `No decoder for ${name} (${uid})`);
  }
  return codec;
}

/** Decodes the frames at the given 0-based indexes of an opened instance. */
export async function decodeSourceFrames(source: PixelSource, indexes: readonly number[]): Promise<DecodedFrame[]> {
  const codec = codecOf(source);
  const stored = source.transferSyntax.encapsulated
    ? encapsulatedFrames(source, indexes)
    : nativeFrames(source, indexes);
  const decoded: DecodedFrame[] = [];
  // One at a time: the decoders are synchronous WebAssembly, nothing to overlap.
  for (const frame of stored) decoded.push(await decodeFrame(codec, source.description, frame));
  return decoded;
}

/**
 * Decoded native pixels of frames by 1-based frame number (all when omitted): little endian,
 * color-by-pixel, in the photometric interpretation DecodedFrame documents. Throws ImagingError:
 * NO_PIXEL_DATA, FRAME_OUT_OF_RANGE, UNSUPPORTED_TRANSFER_SYNTAX (no decoder), UNSUPPORTED_PIXEL_FORMAT,
 * INVALID_PIXEL_DATA (a frame does not decode).
 */
export async function decodeFrames(part10: Buffer, frameNumbers?: readonly number[]): Promise<DecodedFrame[]> {
  const source = openPixelSource(part10);
  return decodeSourceFrames(source, frameIndexes(frameNumbers, source.description.numberOfFrames));
}
