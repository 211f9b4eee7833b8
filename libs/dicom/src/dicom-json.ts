import type { ByteRange, DicomDataset, DicomElement } from './dicom-dataset';
import {
  decodeBigIntegers,
  decodeNumbers,
  decodeStrings,
  decodeTags,
  elementBytes,
  splitPersonName,
  type PersonNameGroups,
} from './element-value';
import { formatTag, isGroupLengthTag, isPixelDataTag, type Tag } from './tag';
import { binaryValueSize, isBinaryVr, type Vr } from './vr';

/** A value of a DICOM JSON attribute (PS3.18 F.2.3): null stands for an empty value among several. */
export type DicomJsonValue = string | number | null | PersonNameGroups | DicomJsonDataset;

/** An attribute of the DICOM JSON Model (PS3.18 F.2.2); an empty one has none of the three. */
export interface DicomJsonAttribute {
  vr: Vr;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** A data set in the DICOM JSON Model: attributes keyed by 8 uppercase hex digits (PS3.18 F.2.1). */
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

/** A value left out of the JSON and replaced by a BulkDataURI: where it is, for the URI maker. */
export interface BulkDataReference {
  /** Tag path from the top data set: "7FE00010", or "00540016/0/00181072" through items (0-based). */
  readonly path: string;
  readonly tag: Tag;
  readonly vr: Vr;
  /** Offset and length of the value in the data set's bytes (the fragments, when encapsulated). */
  readonly offset: number;
  readonly length: number;
  /** Fragments of encapsulated pixel data (the Basic Offset Table first). */
  readonly fragments: readonly ByteRange[] | undefined;
}

/** Options of toDicomJson. */
export interface DicomJsonOptions {
  /**
   * Values longer than this many bytes become BulkDataURI (default 1024), when `bulkDataUri` is
   * given; Pixel Data always does.
   */
  readonly bulkDataThreshold?: number;
  /** Builds the BulkDataURI of a value; without it every value is inline (InlineBinary for binary). */
  readonly bulkDataUri?: (reference: BulkDataReference) => string;
}

const DEFAULT_THRESHOLD = 1024;

// VRs PS3.18 F.2.3 allows to carry as BulkDataURI besides the binary ones: large numeric arrays
// and long texts.
// prettier-ignore
const BULK_ELIGIBLE: ReadonlySet<string> = new Set([
  'DS', 'FD', 'FL', 'IS', 'LT', 'SL', 'SS', 'ST', 'SV', 'UC', 'UL', 'US', 'UT', 'UV',
]);

/** Binary values in DICOM JSON are Little Endian octets (as DCMTK and Orthanc write them). */
function littleEndianBytes(dataset: DicomDataset, element: DicomElement): Buffer {
  const bytes = elementBytes(dataset, element);
  const size = element.vr === 'UN' || element.vr === 'OB' ? 1 : binaryValueSize(element.vr);
  if (dataset.encoding.littleEndian || size <= 1 || bytes.length % size !== 0) return bytes;
  const swapped = Buffer.from(bytes); // a copy: the source bytes stay as received
  if (size === 2) swapped.swap16();
  else if (size === 4) swapped.swap32();
  else swapped.swap64();
  return swapped;
}

function stringValues(values: string[]): DicomJsonValue[] {
  return values.map((value) => (value === '' ? null : value));
}

function numericStringValues(dataset: DicomDataset, element: DicomElement): DicomJsonValue[] {
  // IS and DS are JSON numbers (PS3.18 F.2.3); a malformed one is kept as its text, not dropped.
  return decodeStrings(dataset, element).map((text) => {
    if (text === '') return null;
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  });
}

function bigIntegerValues(dataset: DicomDataset, element: DicomElement): DicomJsonValue[] {
  // SV/UV beyond the exact range of a JSON number are written as decimal strings (PS3.18 F.2.3.1).
  return decodeBigIntegers(dataset, element).map((value) =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString(),
  );
}

function values(
  dataset: DicomDataset,
  element: DicomElement,
  options: DicomJsonOptions,
  path: string,
): DicomJsonValue[] {
  switch (element.vr) {
    case 'SQ':
      return (element.items ?? []).map((item, index) => toDicomJsonAt(item, options, `${path}/${index}/`));
    case 'PN':
      return decodeStrings(dataset, element).map((value) => (value === '' ? null : splitPersonName(value)));
    case 'IS':
    case 'DS':
      return numericStringValues(dataset, element);
    case 'AT':
      return decodeTags(dataset, element).map(formatTag);
    case 'SV':
    case 'UV':
      return bigIntegerValues(dataset, element);
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'FL':
    case 'FD':
      return decodeNumbers(dataset, element);
    default:
      return stringValues(decodeStrings(dataset, element));
  }
}

/**
 * The DICOM JSON attribute of one element. `path` is the element's tag path (see
 * BulkDataReference.path), used only for bulk data URIs.
 */
export function elementToDicomJson(
  dataset: DicomDataset,
  element: DicomElement,
  options: DicomJsonOptions = {},
  path: string = formatTag(element.tag),
): DicomJsonAttribute {
  const vr = element.vr;
  const attribute: DicomJsonAttribute = { vr };
  const threshold = options.bulkDataThreshold ?? DEFAULT_THRESHOLD;
  const pixels = isPixelDataTag(element.tag) || element.fragments !== undefined;
  const binary = isBinaryVr(vr) || pixels;
  const bulk =
    options.bulkDataUri !== undefined && (pixels || (element.length > threshold && (binary || BULK_ELIGIBLE.has(vr))));
  if (bulk) {
    attribute.BulkDataURI = options.bulkDataUri!({
      path,
      tag: element.tag,
      vr,
      offset: element.offset,
      length: element.length,
      fragments: element.fragments,
    });
    return attribute;
  }
  if (binary) {
    if (element.fragments) {
      // Fragments inline (no URI maker): their concatenation, the Basic Offset Table left out.
      const parts = element.fragments.slice(1).map((f) => dataset.bytes.subarray(f.offset, f.offset + f.length));
      const joined = Buffer.concat(parts);
      if (joined.length > 0) attribute.InlineBinary = joined.toString('base64');
    } else if (element.length > 0) {
      attribute.InlineBinary = littleEndianBytes(dataset, element).toString('base64');
    }
    return attribute;
  }
  const list = values(dataset, element, options, path);
  if (list.length > 0) attribute.Value = list;
  return attribute;
}

function toDicomJsonAt(dataset: DicomDataset, options: DicomJsonOptions, prefix: string): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const element of dataset.elements.values()) {
    // Group lengths are retired and meaningless once re-encoded (PS3.5 7.2); left out.
    if (isGroupLengthTag(element.tag)) continue;
    const key = formatTag(element.tag);
    out[key] = elementToDicomJson(dataset, element, options, prefix + key);
  }
  return out;
}

/**
 * The whole data set in the DICOM JSON Model (PS3.18 F.2): every attribute, sequences recursively.
 * Pixel Data and values longer than the threshold become BulkDataURI when a URI maker is given;
 * other binary values are InlineBinary (base64).
 */
export function toDicomJson(dataset: DicomDataset, options: DicomJsonOptions = {}): DicomJsonDataset {
  return toDicomJsonAt(dataset, options, '');
}
