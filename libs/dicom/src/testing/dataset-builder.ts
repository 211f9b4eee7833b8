import { deflateRawSync } from 'node:zlib';
import { entryOf, tagOf } from '../dictionary';
import { encodePart10Header, type FileMetaOptions } from '../part10-writer';
import { formatTag, ITEM_DELIMITATION_TAG, ITEM_TAG, SEQUENCE_DELIMITATION_TAG, type Tag } from '../tag';
import { transferSyntaxOf, type TransferSyntax } from '../transfer-syntax';
import { binaryValueSize, hasLongLength, isStringVr, type Vr } from '../vr';

/** An element to encode; the value is given in the most natural JS form for its VR. */
export interface TestElement {
  /** Tag number, keyword or hex ("00100010"). */
  readonly tag: Tag | string;
  /** Defaults to the dictionary VR (UN for unknown tags). */
  readonly vr?: Vr;
  /**
   * Strings (joined with "\"), numbers (binary VRs, IS, DS, AT as tag numbers), bigint (SV/UV),
   * a Buffer (binary VRs), or the items of a sequence.
   */
  readonly value?:
    | string
    | readonly string[]
    | number
    | readonly number[]
    | readonly bigint[]
    | Buffer
    | readonly (readonly TestElement[])[];
  /** Raw value bytes, written exactly as given (odd lengths included): overrides `value`. */
  readonly bytes?: Buffer;
  /** Encapsulated pixel data: the fragments, Basic Offset Table first (PS3.5 A.4). */
  readonly fragments?: readonly Buffer[];
  /** Sequence (and its items) with undefined length and delimiters instead of lengths. */
  readonly undefinedLength?: boolean;
}

/** Options of encodeDataset. */
export interface EncodeOptions {
  /** How strings become bytes (default latin1; 'utf8' for ISO_IR 192 data sets). */
  readonly stringEncoding?: 'latin1' | 'utf8';
  /** Keep the given order instead of sorting by tag (to build invalid data sets). */
  readonly keepOrder?: boolean;
}

interface Encoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  readonly stringEncoding: 'latin1' | 'utf8';
  readonly keepOrder: boolean;
}

function resolveTag(tag: Tag | string): Tag {
  return typeof tag === 'number' ? tag : tagOf(tag);
}

function writeTag(tag: Tag, le: boolean): Buffer {
  const out = Buffer.alloc(4);
  if (le) {
    out.writeUInt16LE(tag >>> 16, 0);
    out.writeUInt16LE(tag & 0xffff, 2);
  } else {
    out.writeUInt16BE(tag >>> 16, 0);
    out.writeUInt16BE(tag & 0xffff, 2);
  }
  return out;
}

function u32(value: number, le: boolean): Buffer {
  const out = Buffer.alloc(4);
  if (le) out.writeUInt32LE(value >>> 0, 0);
  else out.writeUInt32BE(value >>> 0, 0);
  return out;
}

function header(tag: Tag, vr: Vr, length: number, encoding: Encoding): Buffer {
  const le = encoding.littleEndian;
  if (!encoding.explicitVr) return Buffer.concat([writeTag(tag, le), u32(length, le)]);
  if (hasLongLength(vr)) return Buffer.concat([writeTag(tag, le), Buffer.from(`${vr}\0\0`, 'latin1'), u32(length, le)]);
  if (length > 0xffff)
    throw new RangeError(`${formatTag(tag)} ${vr} value of ${length} bytes needs a 32-bit length VR`);
  const out = Buffer.concat([writeTag(tag, le), Buffer.from(vr, 'latin1'), Buffer.alloc(2)]);
  if (le) out.writeUInt16LE(length, 6);
  else out.writeUInt16BE(length, 6);
  return out;
}

function pad(bytes: Buffer, vr: Vr): Buffer {
  if (bytes.length % 2 === 0) return bytes;
  const filler = vr === 'UI' || !isStringVr(vr) ? 0x00 : 0x20;
  return Buffer.concat([bytes, Buffer.from([filler])]);
}

function binaryValue(values: readonly (number | bigint)[], vr: Vr, le: boolean): Buffer {
  const size = vr === 'AT' ? 4 : binaryValueSize(vr);
  const out = Buffer.alloc(size * values.length);
  values.forEach((value, i) => {
    const p = i * size;
    const n = Number(value);
    switch (vr) {
      case 'AT':
        if (le) {
          out.writeUInt16LE(n >>> 16, p);
          out.writeUInt16LE(n & 0xffff, p + 2);
        } else {
          out.writeUInt16BE(n >>> 16, p);
          out.writeUInt16BE(n & 0xffff, p + 2);
        }
        break;
      case 'US':
      case 'OW':
        if (le) out.writeUInt16LE(n, p);
        else out.writeUInt16BE(n, p);
        break;
      case 'SS':
        if (le) out.writeInt16LE(n, p);
        else out.writeInt16BE(n, p);
        break;
      case 'UL':
      case 'OL':
        if (le) out.writeUInt32LE(n, p);
        else out.writeUInt32BE(n, p);
        break;
      case 'SL':
        if (le) out.writeInt32LE(n, p);
        else out.writeInt32BE(n, p);
        break;
      case 'FL':
      case 'OF':
        if (le) out.writeFloatLE(n, p);
        else out.writeFloatBE(n, p);
        break;
      case 'FD':
      case 'OD':
        if (le) out.writeDoubleLE(n, p);
        else out.writeDoubleBE(n, p);
        break;
      case 'SV':
        if (le) out.writeBigInt64LE(BigInt(value), p);
        else out.writeBigInt64BE(BigInt(value), p);
        break;
      case 'UV':
      case 'OV':
        if (le) out.writeBigUInt64LE(BigInt(value), p);
        else out.writeBigUInt64BE(BigInt(value), p);
        break;
      default:
        throw new RangeError(`VR ${vr} takes no numbers`);
    }
  });
  return out;
}

function valueBytes(element: TestElement, vr: Vr, encoding: Encoding): Buffer {
  if (element.bytes) return element.bytes;
  const value = element.value;
  if (value === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return pad(value, vr);
  const list = (Array.isArray(value) ? value : [value]) as readonly unknown[];
  if (isStringVr(vr)) {
    const text = list.map(String).join('\\');
    return pad(Buffer.from(text, vr === 'UI' || vr === 'AE' || vr === 'CS' ? 'latin1' : encoding.stringEncoding), vr);
  }
  return binaryValue(list as readonly (number | bigint)[], vr, encoding.littleEndian);
}

function encodeItems(items: readonly (readonly TestElement[])[], undefinedLength: boolean, encoding: Encoding): Buffer {
  const le = encoding.littleEndian;
  const parts: Buffer[] = [];
  for (const item of items) {
    const body = encodeElements(item, encoding);
    parts.push(writeTag(ITEM_TAG, le), u32(undefinedLength ? 0xffffffff : body.length, le), body);
    if (undefinedLength) parts.push(writeTag(ITEM_DELIMITATION_TAG, le), u32(0, le));
  }
  return Buffer.concat(parts);
}

function encodeElement(element: TestElement, encoding: Encoding): Buffer {
  const tag = resolveTag(element.tag);
  const le = encoding.littleEndian;
  const isSequence = element.vr === 'SQ' || (element.vr === undefined && entryOf(tag)?.vr === 'SQ');
  const vr: Vr = element.vr ?? (element.fragments ? 'OB' : (entryOf(tag)?.vr ?? 'UN'));
  if (element.fragments) {
    const parts: Buffer[] = [header(tag, vr, 0xffffffff, encoding)];
    for (const fragment of element.fragments) parts.push(writeTag(ITEM_TAG, le), u32(fragment.length, le), fragment);
    parts.push(writeTag(SEQUENCE_DELIMITATION_TAG, le), u32(0, le));
    return Buffer.concat(parts);
  }
  if (isSequence && !element.bytes) {
    const items = (element.value ?? []) as readonly (readonly TestElement[])[];
    const undefinedLength = element.undefinedLength ?? false;
    const body = encodeItems(items, undefinedLength, encoding);
    if (!undefinedLength) return Buffer.concat([header(tag, 'SQ', body.length, encoding), body]);
    return Buffer.concat([
      header(tag, 'SQ', 0xffffffff, encoding),
      body,
      writeTag(SEQUENCE_DELIMITATION_TAG, le),
      u32(0, le),
    ]);
  }
  const value = valueBytes(element, vr, encoding);
  return Buffer.concat([header(tag, vr, value.length, encoding), value]);
}

function encodeElements(elements: readonly TestElement[], encoding: Encoding): Buffer {
  const list = encoding.keepOrder ? elements : [...elements].sort((a, b) => resolveTag(a.tag) - resolveTag(b.tag));
  return Buffer.concat(list.map((element) => encodeElement(element, encoding)));
}

function syntaxOf(syntax: TransferSyntax | string): TransferSyntax {
  if (typeof syntax !== 'string') return syntax;
  const found = transferSyntaxOf(syntax);
  if (!found) throw new RangeError(`Unknown transfer syntax ${syntax}`);
  return found;
}

/**
 * Encodes a data set (no meta group) in the given transfer syntax: implicit or explicit VR, little
 * or big endian, deflated (raw deflate, PS3.5 A.5). Elements are sorted by tag unless keepOrder.
 * For the tests of this lib, the gateway's tests and the benchmark corpus generator.
 */
export function encodeDataset(
  elements: readonly TestElement[],
  syntax: TransferSyntax | string = '1.2.840.10008.1.2.1',
  options: EncodeOptions = {},
): Buffer {
  const ts = syntaxOf(syntax);
  const encoding: Encoding = {
    explicitVr: ts.explicitVr,
    littleEndian: ts.littleEndian,
    stringEncoding: options.stringEncoding ?? 'latin1',
    keepOrder: options.keepOrder ?? false,
  };
  const bytes = encodeElements(elements, encoding);
  return ts.deflated ? deflateRawSync(bytes) : bytes;
}

/** Options of encodePart10File. */
export interface Part10FileOptions extends EncodeOptions {
  readonly elements: readonly TestElement[];
  readonly transferSyntaxUid: string;
  /** Meta overrides; SOP Class/Instance UIDs default to the data set's. */
  readonly meta?: Partial<FileMetaOptions>;
}

function stringOf(elements: readonly TestElement[], keyword: string): string | undefined {
  const tag = tagOf(keyword);
  const found = elements.find((e) => resolveTag(e.tag) === tag);
  return typeof found?.value === 'string' ? found.value : undefined;
}

/** A complete Part 10 file: preamble, "DICM", meta group (part10-writer) and the encoded data set. */
export function encodePart10File(options: Part10FileOptions): Buffer {
  const meta: FileMetaOptions = {
    sopClassUid: options.meta?.sopClassUid ?? stringOf(options.elements, 'SOPClassUID') ?? '1.2.840.10008.5.1.4.1.1.7',
    sopInstanceUid: options.meta?.sopInstanceUid ?? stringOf(options.elements, 'SOPInstanceUID') ?? '1.2.3.4',
    ...options.meta,
    transferSyntaxUid: options.meta?.transferSyntaxUid ?? options.transferSyntaxUid,
  };
  return Buffer.concat([encodePart10Header(meta), encodeDataset(options.elements, options.transferSyntaxUid, options)]);
}
