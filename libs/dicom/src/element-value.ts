import type { DicomDataset, DicomElement } from './dicom-dataset';
import { makeTag, type Tag } from './tag';
import { binaryValueSize, isSingleValuedVr, isStringVr, isTextVr, keepsLeadingSpaces, type Vr } from './vr';

/** A Person Name value (PS3.5 6.2.1.1) split into its component groups, as DICOM JSON has it. */
export interface PersonNameGroups {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** The raw value bytes of an element: a view into the data set's bytes, never a copy. */
export function elementBytes(dataset: DicomDataset, element: DicomElement): Buffer {
  return dataset.bytes.subarray(element.offset, element.offset + element.length);
}

const SPACE = 0x20;
const NUL = 0x00;

// Padding is a trailing space (NUL for UI, PS3.5 6.2); many writers also pad other VRs with NUL,
// so both are dropped. String.prototype.trim would also eat NBSP and tabs, which are content.
function trimPadding(text: string, leading: boolean): string {
  let start = 0;
  let end = text.length;
  while (end > start) {
    const code = text.charCodeAt(end - 1);
    if (code !== SPACE && code !== NUL) break;
    end--;
  }
  if (leading) {
    while (start < end) {
      const code = text.charCodeAt(start);
      if (code !== SPACE && code !== NUL) break;
      start++;
    }
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Decodes the value as one string: text VRs per Specific Character Set, others as ISO 8859-1. */
export function decodeText(dataset: DicomDataset, element: DicomElement): string {
  const start = element.offset;
  const end = start + element.length;
  if (isTextVr(element.vr)) {
    return dataset.characterSet.decode(dataset.bytes, start, end, element.vr === 'PN');
  }
  // The default repertoire is ASCII (PS3.5 6.1.2.1); ISO 8859-1 keeps any stray byte visible.
  return dataset.bytes.toString('latin1', start, end);
}

/**
 * The values of a string element: decoded, split on backslash (except LT, ST, UT, UR, which have
 * one value, PS3.5 6.4), padding removed per VR (PS3.5 Table 6.2-1: leading and trailing spaces are
 * insignificant except the leading ones of LT, ST, UT, UC, UR). An empty value between backslashes
 * stays as ''. UN is read as ISO 8859-1 text; other non-string VRs have no string values.
 */
export function decodeStrings(dataset: DicomDataset, element: DicomElement): string[] {
  const vr = element.vr;
  if (element.length === 0 || element.items || element.fragments) return [];
  if (!isStringVr(vr) && vr !== 'UN') return [];
  const text = decodeText(dataset, element);
  const leading = !keepsLeadingSpaces(vr);
  if (isSingleValuedVr(vr)) {
    const value = trimPadding(text, leading);
    return value === '' ? [] : [value];
  }
  if (text.indexOf('\\') < 0) {
    const value = trimPadding(text, leading);
    return value === '' ? [] : [value];
  }
  const parts = text.split('\\');
  for (let i = 0; i < parts.length; i++) parts[i] = trimPadding(parts[i]!, leading);
  return parts.length === 1 && parts[0] === '' ? [] : parts;
}

/** Splits one PN value into its component groups (PS3.5 6.2.1.2); empty groups are left out. */
export function splitPersonName(value: string): PersonNameGroups {
  const [alphabetic, ideographic, phonetic] = value.split('=');
  const groups: PersonNameGroups = {};
  if (alphabetic) groups.Alphabetic = alphabetic;
  if (ideographic) groups.Ideographic = ideographic;
  if (phonetic) groups.Phonetic = phonetic;
  return groups;
}

/** The values of a PN element split into component groups. */
export function decodePersonNames(dataset: DicomDataset, element: DicomElement): PersonNameGroups[] {
  return decodeStrings(dataset, element).map(splitPersonName);
}

/** Number of values of a binary element of the given VR (a trailing partial value is ignored). */
function binaryCount(element: DicomElement, vr: Vr): number {
  const size = binaryValueSize(vr);
  return size === 0 ? 0 : Math.floor(element.length / size);
}

/**
 * Reads binary numbers (US SS UL SL FL FD SV UV and the O* VRs) in the data set's byte order.
 * SV/UV beyond 2^53 lose precision here; decodeBigIntegers keeps them exact.
 */
function readBinaryNumbers(dataset: DicomDataset, element: DicomElement, vr: Vr): number[] {
  const bytes = dataset.bytes;
  const le = dataset.encoding.littleEndian;
  const count = binaryCount(element, vr);
  const out = new Array<number>(count);
  let p = element.offset;
  for (let i = 0; i < count; i++) {
    switch (vr) {
      case 'US':
      case 'OW':
        out[i] = le ? bytes.readUInt16LE(p) : bytes.readUInt16BE(p);
        p += 2;
        break;
      case 'SS':
        out[i] = le ? bytes.readInt16LE(p) : bytes.readInt16BE(p);
        p += 2;
        break;
      case 'UL':
      case 'OL':
        out[i] = le ? bytes.readUInt32LE(p) : bytes.readUInt32BE(p);
        p += 4;
        break;
      case 'SL':
        out[i] = le ? bytes.readInt32LE(p) : bytes.readInt32BE(p);
        p += 4;
        break;
      case 'FL':
      case 'OF':
        out[i] = le ? bytes.readFloatLE(p) : bytes.readFloatBE(p);
        p += 4;
        break;
      case 'FD':
      case 'OD':
        out[i] = le ? bytes.readDoubleLE(p) : bytes.readDoubleBE(p);
        p += 8;
        break;
      case 'SV':
        out[i] = Number(le ? bytes.readBigInt64LE(p) : bytes.readBigInt64BE(p));
        p += 8;
        break;
      case 'UV':
      case 'OV':
        out[i] = Number(le ? bytes.readBigUInt64LE(p) : bytes.readBigUInt64BE(p));
        p += 8;
        break;
      default:
        return [];
    }
  }
  return out;
}

/** SV/UV values exactly, as bigint. */
export function decodeBigIntegers(dataset: DicomDataset, element: DicomElement): bigint[] {
  const vr = element.vr;
  if (vr !== 'SV' && vr !== 'UV' && vr !== 'OV') return [];
  const bytes = dataset.bytes;
  const le = dataset.encoding.littleEndian;
  const count = binaryCount(element, vr);
  const out = new Array<bigint>(count);
  for (let i = 0, p = element.offset; i < count; i++, p += 8) {
    out[i] =
      vr === 'SV'
        ? le
          ? bytes.readBigInt64LE(p)
          : bytes.readBigInt64BE(p)
        : le
          ? bytes.readBigUInt64LE(p)
          : bytes.readBigUInt64BE(p);
  }
  return out;
}

/**
 * The values of a numeric element: binary numbers as read; IS and DS parsed from their decimal
 * strings (PS3.5 Table 6.2-1), NaN for an empty or malformed one.
 */
export function decodeNumbers(dataset: DicomDataset, element: DicomElement): number[] {
  const vr = element.vr;
  if (vr === 'IS' || vr === 'DS') {
    return decodeStrings(dataset, element).map((text) => (text === '' ? Number.NaN : Number(text)));
  }
  return readBinaryNumbers(dataset, element, vr);
}

/** The values of an AT element: tags, each written as group then element (PS3.5 6.2). */
export function decodeTags(dataset: DicomDataset, element: DicomElement): Tag[] {
  if (element.vr !== 'AT') return [];
  const bytes = dataset.bytes;
  const le = dataset.encoding.littleEndian;
  const out: Tag[] = [];
  for (let p = element.offset; p + 4 <= element.offset + element.length; p += 4) {
    out.push(
      le
        ? makeTag(bytes.readUInt16LE(p), bytes.readUInt16LE(p + 2))
        : makeTag(bytes.readUInt16BE(p), bytes.readUInt16BE(p + 2)),
    );
  }
  return out;
}
