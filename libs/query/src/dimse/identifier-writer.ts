import { deflateRawSync } from 'node:zlib';
import {
  hasLongLength,
  isTextVr,
  parseTag,
  SPECIFIC_CHARACTER_SET_TAG,
  transferSyntaxOf,
  type DicomJsonAttribute,
  type DicomJsonDataset,
  type DicomJsonValue,
  type Tag,
  type Vr,
} from '@pacs/dicom';
import type { TextEncoding } from './character-set-encoder';

/** How the elements are laid out: the transfer syntax's VR encoding and byte order (PS3.5 7). */
interface Layout {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

/** Item (FFFE,E000), which opens each item of a sequence (PS3.5 7.5). */
const ITEM_TAG = 0xfffee000;

/**
 * One element of a response identifier: its tag, its VR, and its value in the DICOM JSON Model (a
 * sequence's items are DICOM JSON data sets).
 */
export interface IdentifierElement {
  readonly tag: Tag;
  readonly vr: Vr;
  /** Absent, or without Value: a zero-length element (the key had no value in the record). */
  readonly attribute?: DicomJsonAttribute;
}

/** A text value could not be written in the character set: the caller tries another. */
export class UnencodableTextError extends Error {
  constructor(readonly tag: Tag) {
    super(`a value of ${tag.toString(16).padStart(8, '0')} has no code in the character set`);
    this.name = 'UnencodableTextError';
  }
}

const BINARY_SIZE: Partial<Record<Vr, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4, SV: 8, UV: 8 };

/** A DS value in at most 16 characters (PS3.5 Table 6.2-1). */
function decimalString(value: number): string {
  const text = String(value);
  if (text.length <= 16) return text;
  for (let digits = 15; digits > 0; digits--) {
    const shorter = String(Number(value.toPrecision(digits)));
    if (shorter.length <= 16) return shorter;
  }
  return value.toExponential(8);
}

function text(vr: Vr, value: DicomJsonValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return vr === 'DS' ? decimalString(value) : String(Math.trunc(value));
  if (typeof value === 'string') return value;
  if (vr === 'PN') {
    const groups = [value.Alphabetic ?? '', value.Ideographic ?? '', value.Phonetic ?? ''];
    while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop();
    return groups.join('=');
  }
  return '';
}

function stringValue(element: IdentifierElement, encoding: TextEncoding): Buffer {
  const values = (element.attribute?.Value ?? []).map((value) => text(element.vr, value));
  if (values.length === 0) return Buffer.alloc(0);
  const joined = values.join('\\');
  let bytes: Buffer | undefined;
  if (isTextVr(element.vr)) bytes = encoding.encode(joined, element.vr === 'PN');
  // eslint-disable-next-line no-control-regex -- the other string VRs are of the default repertoire (PS3.5 6.2)
  else bytes = /^[\x00-\x7f]*$/.test(joined) ? Buffer.from(joined, 'latin1') : undefined;
  if (!bytes) throw new UnencodableTextError(element.tag);
  // Values are padded to an even length: UI with NUL, the others with a space (PS3.5 6.2).
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([element.vr === 'UI' ? 0x00 : 0x20])]);
}

function binaryValue(element: IdentifierElement, size: number, littleEndian: boolean): Buffer {
  const values = element.attribute?.Value ?? [];
  const out = Buffer.alloc(values.length * size);
  values.forEach((value, index) => {
    const at = index * size;
    if (element.vr === 'AT') {
      const tag = typeof value === 'string' ? (parseTag(value) ?? 0) : 0;
      if (littleEndian) {
        out.writeUInt16LE(tag >>> 16, at);
        out.writeUInt16LE(tag & 0xffff, at + 2);
      } else out.writeUInt32BE(tag >>> 0, at);
      return;
    }
    const number = Number(value ?? 0);
    const big = typeof value === 'number' ? BigInt(Math.trunc(value)) : typeof value === 'string' ? BigInt(value) : 0n;
    const le = littleEndian;
    switch (element.vr) {
      case 'US':
        return void (le ? out.writeUInt16LE(number, at) : out.writeUInt16BE(number, at));
      case 'SS':
        return void (le ? out.writeInt16LE(number, at) : out.writeInt16BE(number, at));
      case 'UL':
        return void (le ? out.writeUInt32LE(number, at) : out.writeUInt32BE(number, at));
      case 'SL':
        return void (le ? out.writeInt32LE(number, at) : out.writeInt32BE(number, at));
      case 'FL':
        return void (le ? out.writeFloatLE(number, at) : out.writeFloatBE(number, at));
      case 'FD':
        return void (le ? out.writeDoubleLE(number, at) : out.writeDoubleBE(number, at));
      case 'SV':
        return void (le ? out.writeBigInt64LE(big, at) : out.writeBigInt64BE(big, at));
      default:
        return void (le ? out.writeBigUInt64LE(big, at) : out.writeBigUInt64BE(big, at));
    }
  });
  return out;
}

function valueBytes(element: IdentifierElement, encoding: TextEncoding, layout: Layout): Buffer {
  const size = BINARY_SIZE[element.vr];
  if (size !== undefined) return binaryValue(element, size, layout.littleEndian);
  if (element.vr === 'SQ') return sequenceValue(element, encoding, layout);
  // Other binary values are not query keys.
  if (element.vr.startsWith('O') || element.vr === 'UN') return Buffer.alloc(0);
  return stringValue(element, encoding);
}

/**
 * The items of a sequence (PS3.5 7.5), each an Item of explicit length holding its elements in
 * the identifier's layout and character set. Attributes of an item with bytes for value
 * (InlineBinary, BulkDataURI: not keys) are left out, and so is a Specific Character Set of its
 * own: the response's applies.
 */
function sequenceValue(element: IdentifierElement, encoding: TextEncoding, layout: Layout): Buffer {
  const items = (element.attribute?.Value ?? []).filter(
    (value): value is DicomJsonDataset => typeof value === 'object' && value !== null,
  );
  const parts: Buffer[] = [];
  for (const item of items) {
    const elements: IdentifierElement[] = [];
    for (const [key, attribute] of Object.entries(item)) {
      const tag = parseTag(key);
      if (tag === undefined || tag === SPECIFIC_CHARACTER_SET_TAG) continue;
      if (attribute.InlineBinary !== undefined || attribute.BulkDataURI !== undefined) continue;
      elements.push({ tag, vr: attribute.vr, attribute });
    }
    const content = encodeElements(elements, encoding, layout);
    // An item's header is a tag and a 32-bit length in every transfer syntax (PS3.5 7.5.1).
    parts.push(header(ITEM_TAG, 'SQ', content.length, false, layout.littleEndian), content);
  }
  return Buffer.concat(parts);
}

function header(tag: Tag, vr: Vr, length: number, explicitVr: boolean, littleEndian: boolean): Buffer {
  // Implicit VR: tag and 32-bit length; explicit VR: 2 more bytes and a 32-bit length for the
  // long VRs, a 16-bit length for the others (PS3.5 7.1).
  const long = explicitVr && hasLongLength(vr);
  const out = Buffer.alloc(long ? 12 : 8);
  const u16 = (value: number, at: number) =>
    littleEndian ? out.writeUInt16LE(value, at) : out.writeUInt16BE(value, at);
  const u32 = (value: number, at: number) =>
    littleEndian ? out.writeUInt32LE(value, at) : out.writeUInt32BE(value, at);
  u16(tag >>> 16, 0);
  u16(tag & 0xffff, 2);
  if (!explicitVr) u32(length, 4);
  else {
    out.write(vr, 4, 'latin1');
    if (long) u32(length, 8);
    else u16(length, 6);
  }
  return out;
}

/**
 * Encodes a response identifier (PS3.4 C.4.1.1.3.2): the elements in ascending tag order, in the
 * transfer syntax of the presentation context (PS3.5 7), text per `encoding`. A text value that
 * the encoding cannot hold throws UnencodableTextError. A value too long for the 16-bit length of
 * its VR in explicit VR keeps the values that fit.
 */
export function encodeIdentifier(
  elements: readonly IdentifierElement[],
  transferSyntaxUid: string,
  encoding: TextEncoding,
): Buffer {
  const syntax = transferSyntaxOf(transferSyntaxUid);
  const layout: Layout = { explicitVr: syntax?.explicitVr ?? false, littleEndian: syntax?.littleEndian ?? true };
  const bytes = encodeElements(elements, encoding, layout);
  // Deflated Explicit VR Little Endian: the whole data set is deflated (PS3.5 A.5).
  return syntax?.deflated ? deflateRawSync(bytes) : bytes;
}

/** The elements in ascending tag order, each its header and value (see encodeIdentifier). */
function encodeElements(elements: readonly IdentifierElement[], encoding: TextEncoding, layout: Layout): Buffer {
  const { explicitVr, littleEndian } = layout;
  const parts: Buffer[] = [];
  for (const element of [...elements].sort((a, b) => a.tag - b.tag)) {
    let value = valueBytes(element, encoding, layout);
    if (explicitVr && !hasLongLength(element.vr) && value.length > 0xfffe) {
      const values = element.attribute?.Value ?? [];
      let kept = values.length;
      while (kept > 0 && value.length > 0xfffe) {
        kept--;
        value = valueBytes(
          { ...element, attribute: { ...element.attribute!, Value: values.slice(0, kept) } },
          encoding,
          layout,
        );
      }
    }
    parts.push(header(element.tag, element.vr, value.length, explicitVr, littleEndian), value);
  }
  return Buffer.concat(parts);
}
