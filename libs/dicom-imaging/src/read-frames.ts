import { EXPLICIT_VR_LITTLE_ENDIAN } from '@pacs/dicom';
import { encapsulatedFrames } from './encapsulated-frames';
import { nativeFrames } from './native-frames';
import { frameIndexes, openPixelSource } from './pixel-source';

/** Frames as stored, with the transfer syntax their bytes are in. */
export interface StoredFrames {
  /**
   * The syntax of the returned bytes: the instance's for encapsulated pixel data; Explicit VR Little
   * Endian (1.2.840.10008.1.2.1) for native pixel data, whose frames are always little endian here
   * (PS3.18 8.7.3.5.2: uncompressed frames in application/octet-stream).
   */
  readonly transferSyntaxUid: string;
  /** The transfer syntax of the instance itself. */
  readonly storedTransferSyntaxUid: string;
  readonly numberOfFrames: number;
  /** The frames asked for, in the order asked; a frame may share memory with the input. */
  readonly frames: Buffer[];
}

/**
 * Frames as stored, by 1-based frame number (all when omitted):
 * - native pixel data: each frame's bytes, little endian (big endian instances are swapped); with
 *   Bits Allocated 1 each frame is repacked to start at bit 0 of its first byte (PS3.5 8.1.1);
 * - encapsulated pixel data: each frame's compressed bitstream, split with the Extended or Basic
 *   Offset Table, else one fragment per frame or the codec's start markers (PS3.5 A.4).
 * Throws ImagingError: NO_PIXEL_DATA, FRAME_OUT_OF_RANGE, UNSUPPORTED_TRANSFER_SYNTAX (video,
 * JPIP), UNSUPPORTED_PIXEL_FORMAT, INVALID_PIXEL_DATA; DicomParseError for bytes that are not DICOM.
 */
export function readFrames(part10: Buffer, frameNumbers?: readonly number[]): StoredFrames {
  const source = openPixelSource(part10);
  const numberOfFrames = source.description.numberOfFrames;
  const indexes = frameIndexes(frameNumbers, numberOfFrames);
  const encapsulated = source.transferSyntax.encapsulated;
  return {
    transferSyntaxUid: encapsulated ? source.transferSyntax.uid : EXPLICIT_VR_LITTLE_ENDIAN.uid,
    storedTransferSyntaxUid: source.transferSyntax.uid,
    numberOfFrames,
    frames: encapsulated ? encapsulatedFrames(source, indexes) : nativeFrames(source, indexes),
  };
}
