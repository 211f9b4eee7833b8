import {
  DOUBLE_FLOAT_PIXEL_DATA_TAG,
  FLOAT_PIXEL_DATA_TAG,
  formatTag,
  isPixelDataTag,
  toDicomJson,
  VR_BY_CODE,
  type DicomJsonDataset,
  type Tag,
  type Vr,
} from '@pacs/dicom';
import { bulkDataUri } from './bulk-data-uri';
import type { Part10ReadComplete } from './read-stored-header';

export interface InstanceMetadataOptions {
  /** Values longer than this many bytes become BulkDataURI (toDicomJson's default: 1024). */
  readonly bulkDataThreshold?: number;
}

/**
 * The metadata of an instance in the DICOM JSON Model (PS3.18 F.2), as WADO-RS metadata returns
 * it (PS3.18 10.4.3.3.2), from its header read up to the pixel data (readStoredHeader): every
 * attribute, sequences recursively; binary values and long values as BulkDataURI (bulkDataUri),
 * short binary ones inline. The pixel data attribute the read stopped at becomes a BulkDataURI
 * without being read. Attributes after it (Data Set Trailing Padding, Digital Signatures, private
 * groups above 7FE0) are left out: the header read ends at the pixel data, so that a copy of any
 * size costs its header only. The file meta group is not part of the data set.
 */
export function instanceMetadata(read: Part10ReadComplete, options: InstanceMetadataOptions = {}): DicomJsonDataset {
  const metadata = toDicomJson(read.dataset, {
    bulkDataUri: (reference) => bulkDataUri(reference.path),
    ...(options.bulkDataThreshold !== undefined ? { bulkDataThreshold: options.bulkDataThreshold } : {}),
  });
  const stop = read.stoppedAt;
  if (stop !== undefined && isPixelDataTag(stop)) {
    metadata[formatTag(stop)] = { vr: pixelDataVr(read, stop), BulkDataURI: bulkDataUri(formatTag(stop)) };
  }
  return metadata;
}

/**
 * The VR of the pixel data attribute the read stopped at: as encoded when the VR is explicit;
 * otherwise (Implicit VR Little Endian) what PS3.5 A.1 and Annex A.4 give it: OW for native Pixel
 * Data, OB for encapsulated, OF and OD for the float variants.
 */
function pixelDataVr(read: Part10ReadComplete, tag: Tag): Vr {
  const bytes = read.dataset.bytes;
  if (read.encoding.explicitVr && read.end + 6 <= bytes.length) {
    const encoded = VR_BY_CODE.get((bytes[read.end + 4]! << 8) | bytes[read.end + 5]!);
    if (encoded !== undefined) return encoded;
  }
  if (tag === FLOAT_PIXEL_DATA_TAG) return 'OF';
  if (tag === DOUBLE_FLOAT_PIXEL_DATA_TAG) return 'OD';
  return read.transferSyntax.encapsulated ? 'OB' : 'OW';
}
