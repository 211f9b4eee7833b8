import {
  DOUBLE_FLOAT_PIXEL_DATA_TAG,
  FLOAT_PIXEL_DATA_TAG,
  PIXEL_DATA_TAG,
  readPart10,
  type DatasetEncoding,
  type DicomDataset,
  type DicomElement,
  type Part10Header,
  type TransferSyntax,
} from '@pacs/dicom';
import { ImagingError } from './imaging.errors';
import { readPixelDescription, type PixelDescription } from './pixel-description';

/** A parsed instance, its Pixel Data element and what the Image Pixel module says of it. */
export interface PixelSource {
  readonly dataset: DicomDataset;
  readonly header: Part10Header;
  readonly transferSyntax: TransferSyntax;
  /** The encoding the data set was actually read in (may differ from the syntax's, see readDataset). */
  readonly encoding: DatasetEncoding;
  readonly pixelData: DicomElement;
  readonly description: PixelDescription;
}

/** Parses a Part 10 file (throws DicomParseError when it is not one). */
export function parseInstance(part10: Buffer): {
  dataset: DicomDataset;
  header: Part10Header;
  transferSyntax: TransferSyntax;
  encoding: DatasetEncoding;
} {
  const read = readPart10(part10);
  // A complete buffer never answers 'need-more-bytes' (final defaults to true); kept for the type.
  if (read.status !== 'complete') {
    throw new ImagingError('INVALID_PIXEL_DATA', 'The instance ends before its data set does');
  }
  return { dataset: read.dataset, header: read.header, transferSyntax: read.transferSyntax, encoding: read.encoding };
}

/**
 * Opens the pixel data of an instance: NO_PIXEL_DATA without Pixel Data (7FE0,0010),
 * UNSUPPORTED_PIXEL_FORMAT for Float / Double Float Pixel Data (parametric maps) and for an Image
 * Pixel module this library cannot read, UNSUPPORTED_TRANSFER_SYNTAX for pixel data that is not in
 * the data set (JPIP, PS3.5 A.6).
 */
export function openPixelSource(part10: Buffer): PixelSource {
  const parsed = parseInstance(part10);
  const { dataset, transferSyntax } = parsed;
  const pixelData = dataset.get(PIXEL_DATA_TAG);
  if (!pixelData) {
    if (dataset.has(FLOAT_PIXEL_DATA_TAG) || dataset.has(DOUBLE_FLOAT_PIXEL_DATA_TAG)) {
      throw new ImagingError('UNSUPPORTED_PIXEL_FORMAT', 'Float and Double Float Pixel Data are not supported');
    }
    throw new ImagingError('NO_PIXEL_DATA', 'The instance has no Pixel Data (7FE0,0010)');
  }
  if (transferSyntax.referencedPixelData) {
    throw new ImagingError(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `${transferSyntax.name} (${transferSyntax.uid}) references its pixel data instead of holding it`,
    );
  }
  if (transferSyntax.encapsulated !== (pixelData.fragments !== undefined)) {
    throw new ImagingError(
      'INVALID_PIXEL_DATA',
      transferSyntax.encapsulated
        ? `Pixel Data is not encapsulated although ${transferSyntax.name} requires it (PS3.5 A.4)`
        : `Pixel Data is encapsulated although ${transferSyntax.name} is a native syntax`,
    );
  }
  return { ...parsed, pixelData, description: readPixelDescription(dataset) };
}

/**
 * 0-based frame indexes of the 1-based frame numbers asked for (all frames when omitted).
 * FRAME_OUT_OF_RANGE names the first number that is not an integer in 1..numberOfFrames.
 */
export function frameIndexes(frameNumbers: readonly number[] | undefined, numberOfFrames: number): number[] {
  if (frameNumbers === undefined) return Array.from({ length: numberOfFrames }, (_, i) => i);
  return frameNumbers.map((frameNumber) => {
    if (!Number.isInteger(frameNumber) || frameNumber < 1 || frameNumber > numberOfFrames) {
      throw new ImagingError(
        'FRAME_OUT_OF_RANGE',
        `Frame ${frameNumber} is out of range: the instance has ${numberOfFrames} frame${numberOfFrames === 1 ? '' : 's'} (1-${numberOfFrames})`,
      );
    }
    return frameNumber - 1;
  });
}
