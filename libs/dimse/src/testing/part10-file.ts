// Test support: the minimum of DICOM Part 10 file parsing the interop tests need (PS3.10 7.1).
// Test code only; the platform's DICOM parsing lives in @pacs/dicom.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A Part 10 file split into its File Meta Information facts and its data set bytes. */
export interface Part10File {
  /** (0002,0010). */
  readonly transferSyntaxUid: string;
  /** (0002,0002). */
  readonly sopClassUid: string;
  /** (0002,0003). */
  readonly sopInstanceUid: string;
  /** Everything after the File Meta Information group, as stored. */
  readonly dataset: Buffer;
}

// VRs whose explicit VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2).
const longVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Splits a Part 10 file: 128-byte preamble, "DICM", then group 0002 in Explicit VR Little Endian
 * (PS3.10 7.1); the data set starts after the last group 0002 element.
 */
export function readPart10(bytes: Buffer): Part10File {
  if (bytes.toString('latin1', 128, 132) !== 'DICM') throw new Error('not a DICOM Part 10 file');
  const values = new Map<number, string>();
  let offset = 132;
  while (offset + 8 <= bytes.length && bytes.readUInt16LE(offset) === 0x0002) {
    const element = bytes.readUInt16LE(offset + 2);
    const vr = bytes.toString('latin1', offset + 4, offset + 6);
    let length: number;
    let header: number;
    if (longVrs.has(vr)) {
      length = bytes.readUInt32LE(offset + 8);
      header = 12;
    } else {
      length = bytes.readUInt16LE(offset + 6);
      header = 8;
    }
    if (vr === 'UI')
      values.set(element, bytes.toString('latin1', offset + header, offset + header + length).replace(/[\0 ]+$/, ''));
    offset += header + length;
  }
  return {
    transferSyntaxUid: values.get(0x0010) ?? '',
    sopClassUid: values.get(0x0002) ?? '',
    sopInstanceUid: values.get(0x0003) ?? '',
    dataset: bytes.subarray(offset),
  };
}

/** Reads and splits a Part 10 file from disk. */
export function readPart10File(path: string): Part10File {
  return readPart10(readFileSync(path));
}

/** Where Debian's python3-pydicom keeps its test files. */
export const PYDICOM_TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/** Path of a pydicom test file; throws with what to install when the folder is missing. */
export function pydicomTestFile(name: string): string {
  if (!existsSync(PYDICOM_TEST_FILES)) {
    throw new Error(
      `DICOM test files missing: ${PYDICOM_TEST_FILES} not found; install python3-pydicom (apt-get install python3-pydicom)`,
    );
  }
  return join(PYDICOM_TEST_FILES, name);
}

/**
 * The data set without a final Data Set Trailing Padding element (FFFC,FFFC), which DCMTK drops
 * when it sends a data set over the network (PS3.10 7.2: it has no meaning beyond the file).
 * Little endian transfer syntaxes only.
 */
export function withoutTrailingPadding(dataset: Buffer, explicitVr: boolean): Buffer {
  const tag = Buffer.from([0xfc, 0xff, 0xfc, 0xff]);
  for (let at = dataset.lastIndexOf(tag); at >= 0; at = dataset.lastIndexOf(tag, at - 1)) {
    const headerLength = explicitVr ? 12 : 8;
    if (at + headerLength > dataset.length) continue;
    const length = dataset.readUInt32LE(at + headerLength - 4);
    if (at + headerLength + length === dataset.length) return dataset.subarray(0, at);
  }
  return dataset;
}
