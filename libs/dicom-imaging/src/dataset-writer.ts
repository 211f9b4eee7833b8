import {
  binaryValueSize,
  hasLongLength,
  isGroupLengthTag,
  isStringVr,
  ITEM_TAG,
  type DicomDataset,
  type DicomElement,
  type Tag,
  type Vr,
} from '@pacs/dicom';

/** A value that replaces an element's as read (or adds one): VR and little endian bytes. */
export interface ElementValue {
  readonly vr: Vr;
  readonly bytes: Buffer;
}

/** Options of encodeExplicitLittleEndian. */
export interface WriteOptions {
  /** New values by element (any depth), or by tag for elements of the top-level data set. */
  readonly replace?: ReadonlyMap<DicomElement | Tag, ElementValue>;
  /** Top-level tags to leave out. */
  readonly omit?: ReadonlySet<Tag>;
}

/**
 * Bytes to swap by when a value of this VR was read big endian (PS3.5 7.3): the size of one number
 * (binaryValueSize), but 2 for AT, whose group and element are two 16-bit numbers; 1 (no swap) for
 * the VRs that are not numbers.
 */
function swapSize(vr: Vr): number {
  if (vr === 'AT') return 2;
  return binaryValueSize(vr) || 1;
}

function littleEndianValue(dataset: DicomDataset, element: DicomElement): Buffer {
  const raw = dataset.bytes.subarray(element.offset, element.offset + element.length);
  const size = swapSize(element.vr);
  if (dataset.encoding.littleEndian || size === 1) return raw;
  const out = Buffer.from(raw);
  const view = out.subarray(0, out.length - (out.length % size));
  if (size === 2) view.swap16();
  else if (size === 4) view.swap32();
  else view.swap64();
  return out;
}

/** Pads a value to even length (PS3.5 7.1.1): a space for strings, NUL for UI and binary VRs. */
function padded(bytes: Buffer, vr: Vr): Buffer {
  if (bytes.length % 2 === 0) return bytes;
  const filler = isStringVr(vr) && vr !== 'UI' ? 0x20 : 0x00;
  return Buffer.concat([bytes, Buffer.from([filler])]);
}

/** An Explicit VR Little Endian element header (PS3.5 7.1.2). */
function header(tag: Tag, vr: Vr, length: number): Buffer {
  const long = hasLongLength(vr);
  const out = Buffer.alloc(long ? 12 : 8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write(vr, 4, 'latin1');
  if (long) out.writeUInt32LE(length, 8);
  else out.writeUInt16LE(length, 6);
  return out;
}

function itemHeader(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(ITEM_TAG >>> 16, 0);
  out.writeUInt16LE(ITEM_TAG & 0xffff, 2);
  out.writeUInt32LE(length, 4);
  return out;
}

function encodeValue(tag: Tag, value: ElementValue, out: Buffer[]): void {
  let vr = value.vr;
  const bytes = padded(value.bytes, vr);
  // A value too long for a 16-bit length is written as UN (PS3.5 6.2.2), which has a 32-bit one.
  if (!hasLongLength(vr) && bytes.length > 0xffff) vr = 'UN';
  out.push(header(tag, vr, bytes.length), bytes);
}

function encodeElements(dataset: DicomDataset, options: WriteOptions, top: boolean, out: Buffer[]): void {
  const replace = options.replace;
  const elements = [...dataset].filter((element) => {
    // Group lengths (retired outside group 0002, PS3.5 7.2) would be wrong once VRs are written.
    if (isGroupLengthTag(element.tag)) return false;
    if (top && (element.tag >>> 16 === 0x0002 || options.omit?.has(element.tag))) return false;
    return true;
  });
  const added = top && replace ? [...replace.keys()].filter((key): key is Tag => typeof key === 'number') : [];
  const tags = new Set(elements.map((element) => element.tag));
  const entries: (DicomElement | Tag)[] = [...elements, ...added.filter((tag) => !tags.has(tag))];
  const tagOf = (entry: DicomElement | Tag): Tag => (typeof entry === 'number' ? entry : entry.tag);
  entries.sort((a, b) => tagOf(a) - tagOf(b));

  for (const entry of entries) {
    const tag = tagOf(entry);
    const replacement = replace?.get(entry) ?? (top ? replace?.get(tag) : undefined);
    if (replacement) {
      encodeValue(tag, replacement, out);
      continue;
    }
    if (typeof entry === 'number') continue;
    if (entry.items) {
      const items: Buffer[] = [];
      for (const item of entry.items) {
        const body: Buffer[] = [];
        encodeElements(item, options, false, body);
        const bytes = Buffer.concat(body);
        items.push(itemHeader(bytes.length), bytes);
      }
      const value = Buffer.concat(items);
      out.push(header(tag, 'SQ', value.length), value);
      continue;
    }
    if (entry.fragments) {
      // Encapsulated data the caller did not replace cannot be written in a native syntax.
      throw new RangeError(`Encapsulated element ${tag.toString(16)} has no native replacement`);
    }
    encodeValue(tag, { vr: entry.vr, bytes: littleEndianValue(dataset, entry) }, out);
  }
}

/**
 * Encodes a parsed data set in Explicit VR Little Endian (PS3.5 A.2): VRs as read (from the
 * dictionary for implicit VR sources), numbers swapped from big endian where the source was,
 * sequences and items with defined lengths, group lengths dropped, odd values padded. Elements of
 * group 0002 never belong to a data set and are left out.
 */
export function encodeExplicitLittleEndian(dataset: DicomDataset, options: WriteOptions = {}): Buffer {
  const out: Buffer[] = [];
  encodeElements(dataset, options, true, out);
  return Buffer.concat(out);
}
