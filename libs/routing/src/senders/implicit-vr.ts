import { ITEM_DELIMITATION_TAG, ITEM_TAG, SEQUENCE_DELIMITATION_TAG, type DicomDataset, type Tag } from '@pacs/dicom';

const UNDEFINED_LENGTH = 0xffffffff;

function header(tag: Tag, length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.writeUInt32LE(length, 4);
  return out;
}

function write(dataset: DicomDataset, out: Buffer[]): void {
  for (const element of dataset) {
    if (element.fragments) {
      throw new RangeError('encapsulated pixel data has no Implicit VR encoding (PS3.5 A.4): decode it first');
    }
    if (element.items) {
      // Undefined lengths: no length to compute, and the only way a reader without the VR knows a
      // private element is a sequence (PS3.5 7.5.1, 6.2.2 Note 3).
      out.push(header(element.tag, UNDEFINED_LENGTH));
      for (const item of element.items) {
        out.push(header(ITEM_TAG, UNDEFINED_LENGTH));
        write(item, out);
        out.push(header(ITEM_DELIMITATION_TAG, 0));
      }
      out.push(header(SEQUENCE_DELIMITATION_TAG, 0));
      continue;
    }
    out.push(
      header(element.tag, element.length),
      dataset.bytes.subarray(element.offset, element.offset + element.length),
    );
  }
}

/**
 * A little endian data set re-encoded in Implicit VR Little Endian (PS3.5 A.1), the one transfer
 * syntax every Storage SCP accepts (PS3.5 10.1): element headers without VR, values as they were
 * (little endian already), sequences and items with undefined length. For a peer that accepts
 * nothing else; the data set must have native pixel data (transcode encapsulated data first).
 */
export function toImplicitVrLittleEndian(dataset: DicomDataset): Buffer {
  if (!dataset.encoding.littleEndian) throw new RangeError('the data set must be little endian');
  const out: Buffer[] = [];
  write(dataset, out);
  return Buffer.concat(out);
}
