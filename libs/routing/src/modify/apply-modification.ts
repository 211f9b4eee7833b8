import { deflateRawSync } from 'node:zlib';
import {
  entryOf,
  hasLongLength,
  isDicomParseError,
  isGroupLengthTag,
  isTextVr,
  readPart10,
  tagOf,
  type DatasetEncoding,
  type DicomElement,
  type Part10ReadResult,
  type Tag,
  type Vr,
} from '@pacs/dicom';
import { formatPath } from '../problems';
import { readModification, type RuleModification } from '../rule-modification';
import { ModificationError } from './modification.errors';
import { textEncodingFor, type TextEncoding } from './text-encoding';

/** A run of the output data set: an element (tag) or bytes between elements (no tag). */
interface Segment {
  readonly tag: Tag | undefined;
  bytes: Buffer;
}

type CompleteRead = Extract<Part10ReadResult, { status: 'complete' }>;

/** The modification after the checks of the rule language, or undefined when it changes nothing. */
function checkedModification(modify: RuleModification): RuleModification | undefined {
  if (Object.keys(modify.set ?? {}).length === 0 && (modify.remove ?? []).length === 0) return undefined;
  const problems: string[] = [];
  const checked = readModification(modify, ['modify'], (path, message) =>
    problems.push(`${formatPath(path)}: ${message}`),
  );
  if (!checked || problems.length > 0) {
    throw new ModificationError('INVALID_MODIFICATION', `Invalid modification: ${problems.join('; ')}`);
  }
  return checked;
}

function parse(part10: Buffer): CompleteRead {
  let read: Part10ReadResult;
  try {
    read = readPart10(part10);
  } catch (error) {
    const code = isDicomParseError(error, 'UNSUPPORTED_TRANSFER_SYNTAX')
      ? 'UNSUPPORTED_TRANSFER_SYNTAX'
      : 'UNREADABLE_INSTANCE';
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModificationError(code, `The instance cannot be modified: ${reason}`, undefined, { cause: error });
  }
  if (read.status !== 'complete') throw new ModificationError('UNREADABLE_INSTANCE', 'The instance is truncated');
  return read;
}

function describeCharacterSet(encoding: TextEncoding): string {
  const terms = encoding.characterSet.terms;
  return terms.length === 0 || terms.every((term) => term === '')
    ? 'the default repertoire (Specific Character Set absent)'
    : `Specific Character Set "${terms.join('\\')}"`;
}

// Visible ASCII: the default repertoire that the VRs other than the text ones use (PS3.5 6.1.2.3);
// LT, ST, UT and UC may also hold the control characters of PS3.5 6.1.3, but those are text VRs.
const OUTSIDE_DEFAULT_REPERTOIRE = /[^\x20-\x7e]/;

/** The value bytes of an attribute: its values encoded, joined by backslashes, padded to even length. */
function encodeValue(keyword: string, vr: Vr, values: readonly string[], text: TextEncoding): Buffer {
  const parts = values.map((value) => {
    if (isTextVr(vr)) {
      const bytes = text.encode(value, vr === 'PN');
      if (bytes) return bytes;
      throw new ModificationError(
        'UNENCODABLE_VALUE',
        `${keyword}: ${JSON.stringify(value)} has characters that ${describeCharacterSet(text)} cannot encode (PS3.5 6.1.2.3); the forwarded copy keeps the character set of the stored instance`,
        keyword,
      );
    }
    if (OUTSIDE_DEFAULT_REPERTOIRE.test(value)) {
      throw new ModificationError(
        'UNENCODABLE_VALUE',
        `${keyword}: ${JSON.stringify(value)} has characters outside the default repertoire that VR ${vr} allows (PS3.5 6.1.2.3)`,
        keyword,
      );
    }
    return Buffer.from(value, 'latin1');
  });
  const joined = Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from('\\'), part])));
  if (joined.length % 2 === 0) return joined;
  // Padding to even length (PS3.5 7.1.1): NUL for UI, a space for the other string VRs.
  return Buffer.concat([joined, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
}

/** An element header in the data set's encoding (PS3.5 7.1.1-7.1.3). */
function elementHeader(keyword: string, tag: Tag, vr: Vr, length: number, encoding: DatasetEncoding): Buffer {
  const le = encoding.littleEndian;
  const long = !encoding.explicitVr || hasLongLength(vr);
  if (!long && length > 0xffff) {
    throw new ModificationError(
      'VALUE_TOO_LONG',
      `${keyword}: the value takes ${length} bytes, more than the 65535 of a VR ${vr} length field (PS3.5 7.1.2)`,
      keyword,
    );
  }
  const header = Buffer.alloc(encoding.explicitVr ? (long ? 12 : 8) : 8);
  const u16 = (value: number, at: number) => (le ? header.writeUInt16LE(value, at) : header.writeUInt16BE(value, at));
  const u32 = (value: number, at: number) => (le ? header.writeUInt32LE(value, at) : header.writeUInt32BE(value, at));
  u16(tag >>> 16, 0);
  u16(tag & 0xffff, 2);
  if (!encoding.explicitVr) {
    u32(length, 4);
  } else {
    header.write(vr, 4, 'latin1');
    if (long) u32(length, 8);
    else u16(length, 6);
  }
  return header;
}

/** Where an element's encoding ends: its value, and the Sequence Delimitation Item of an undefined length. */
function elementEnd(element: DicomElement): number {
  return element.offset + element.length + (element.undefinedLength ? 8 : 0);
}

/**
 * The new element bytes per tag (null: removed). `set` values are written with the VR of the
 * dictionary (PS3.6), in the data set's VR form and byte order, text in its character set.
 */
function changesOf(modify: RuleModification, encoding: DatasetEncoding, text: TextEncoding): Map<Tag, Buffer | null> {
  const changes = new Map<Tag, Buffer | null>();
  for (const [keyword, values] of Object.entries(modify.set ?? {})) {
    const tag = tagOf(keyword);
    const vr = entryOf(tag)!.vr; // checkedModification allows text VRs of the dictionary only
    const value = encodeValue(keyword, vr, values, text);
    changes.set(tag, Buffer.concat([elementHeader(keyword, tag, vr, value.length, encoding), value]));
  }
  for (const name of modify.remove ?? []) changes.set(tagOf(name), null);
  return changes;
}

/**
 * Group Length (gggg,0000) is retired outside groups 0000 and 0002 but still found in old files; where
 * a changed group has one, it is set to the new length of the group (PS3.5 7.2).
 */
function fixGroupLengths(segments: Segment[], changedGroups: ReadonlySet<number>, littleEndian: boolean): void {
  for (const segment of segments) {
    if (segment.tag === undefined || !isGroupLengthTag(segment.tag)) continue;
    const group = segment.tag >>> 16;
    if (!changedGroups.has(group) || segment.bytes.length !== 12) continue;
    let length = 0;
    for (const other of segments) {
      if (other.tag !== undefined && other.tag >>> 16 === group && other !== segment) length += other.bytes.length;
    }
    const bytes = Buffer.from(segment.bytes);
    if (littleEndian) bytes.writeUInt32LE(length, 8);
    else bytes.writeUInt32BE(length, 8);
    segment.bytes = bytes;
  }
}

/**
 * A copy of a Part 10 file with a rule's changes (`set`: attributes written, added where absent;
 * `remove`: top-level attributes removed) and nothing else changed: the preamble and File Meta
 * Information are the original bytes, and every other element (private ones, sequences, pixel
 * data, encapsulated or not) is copied byte for byte, in the file's transfer syntax. A deflated
 * data set (PS3.5 A.5) is inflated, changed and deflated again.
 *
 * Values are written with the VR of the dictionary, in the data set's Specific Character Set, which
 * never changes (a rule cannot set it): a character it cannot encode is refused, naming the
 * attribute. Throws ModificationError; returns the input itself when the modification changes nothing.
 */
export function applyModification(part10: Buffer, modify: RuleModification): Buffer {
  const checked = checkedModification(modify);
  if (!checked) return part10;
  const read = parse(part10);
  const { dataset, header } = read;
  const encoding = dataset.encoding;
  const text = textEncodingFor(dataset.strings('SpecificCharacterSet'));
  const changes = changesOf(checked, encoding, text);

  // The data set bytes: the file's own, or the inflated copy the parser read.
  const source = dataset.bytes;
  const start = read.transferSyntax.deflated ? 0 : header.dataSetOffset;
  const existing = [...dataset.elements.values()].sort((a, b) => a.headerOffset - b.headerOffset);
  const additions = [...changes.entries()]
    .filter(([tag, bytes]) => bytes !== null && !dataset.elements.has(tag))
    .sort(([a], [b]) => a - b);

  const segments: Segment[] = [];
  let position = start;
  let next = 0;
  for (const element of existing) {
    while (next < additions.length && additions[next]![0] < element.tag) {
      const [tag, bytes] = additions[next++]!;
      segments.push({ tag, bytes: bytes! });
    }
    // Bytes between elements (a stray delimiter the parser skipped) stay where they were.
    if (element.headerOffset > position) {
      segments.push({ tag: undefined, bytes: source.subarray(position, element.headerOffset) });
    }
    const end = elementEnd(element);
    const change = changes.get(element.tag);
    if (change === undefined) segments.push({ tag: element.tag, bytes: source.subarray(element.headerOffset, end) });
    else if (change !== null) segments.push({ tag: element.tag, bytes: change });
    position = end;
  }
  while (next < additions.length) {
    const [tag, bytes] = additions[next++]!;
    segments.push({ tag, bytes: bytes! });
  }
  if (read.end > position) segments.push({ tag: undefined, bytes: source.subarray(position, read.end) });

  fixGroupLengths(segments, new Set([...changes.keys()].map((tag) => tag >>> 16)), encoding.littleEndian);
  const body = Buffer.concat(segments.map((segment) => segment.bytes));
  return Buffer.concat([
    part10.subarray(0, header.dataSetOffset),
    read.transferSyntax.deflated ? deflateRawSync(body) : body,
  ]);
}
