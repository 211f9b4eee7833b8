import { constants as zlibConstants, inflateRawSync, inflateSync } from 'node:zlib';
import { DicomDataset, DicomElement, type ByteRange, type DatasetEncoding } from './dicom-dataset';
import { DicomParseError } from './dicom.errors';
import { entryOf } from './dictionary';
import {
  isGroupLengthTag,
  isPixelDataTag,
  isPrivateCreatorTag,
  ITEM_DELIMITATION_TAG,
  ITEM_TAG,
  PIXEL_REPRESENTATION_TAG,
  SEQUENCE_DELIMITATION_TAG,
  type Tag,
} from './tag';
import { IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxOf, type TransferSyntax } from './transfer-syntax';
import { hasLongLength, VR_BY_CODE, type Vr } from './vr';

/** Options of readDataset. */
export interface ReadDatasetOptions {
  /** Transfer syntax of the data set (default Implicit VR Little Endian, the DIMSE default). */
  readonly transferSyntax?: TransferSyntax | string;
  /** Where the data set starts in the bytes (default 0). */
  readonly offset?: number;
  /**
   * Stop before the first top-level element whose tag is >= this one; only its 4 tag bytes are
   * read. PIXEL_DATA_TAG reads a whole header and leaves pixel data untouched.
   */
  readonly untilTag?: Tag;
  /**
   * Whether the bytes hold the complete data set (default true). With false they are a prefix (the
   * first bytes of a stream): running out of bytes answers 'need-more-bytes' instead of TRUNCATED.
   */
  readonly final?: boolean;
  /** Deflated syntaxes: most bytes to inflate (default 1 GiB), against decompression bombs. */
  readonly maxInflatedBytes?: number;
}

/** The data set was read (to its end, or to the `untilTag` stop). */
export interface DatasetReadComplete {
  readonly status: 'complete';
  readonly dataset: DicomDataset;
  /** Offset in `dataset.bytes` where reading ended: the end of the data, or the stop element's tag. */
  readonly end: number;
  /** The tag of the element reading stopped before (untilTag), or undefined at the end of the data. */
  readonly stoppedAt: Tag | undefined;
  readonly transferSyntax: TransferSyntax;
  /**
   * The encoding actually read. Differs from the transfer syntax's when the data set was written
   * in the other VR form than declared (a known writer bug; detected on the first element like
   * DCMTK and pydicom do).
   */
  readonly encoding: DatasetEncoding;
}

/** The bytes end before the stop point and `final` was false: call again with more bytes. */
export interface DatasetReadNeedMoreBytes {
  readonly status: 'need-more-bytes';
  /**
   * How many bytes (counted from the start of the given buffer) let reading progress; for a
   * deflated syntax only a lower bound (compressed sizes are unknown).
   */
  readonly needed: number;
}

export type DatasetReadResult = DatasetReadComplete | DatasetReadNeedMoreBytes;

const UNDEFINED_LENGTH = 0xffffffff;
const IMPLICIT_LE: DatasetEncoding = Object.freeze({ explicitVr: false, littleEndian: true });
const DEFAULT_MAX_INFLATED = 1 << 30;
const FIRST_INFLATE_CHUNK = 64 * 1024;
/** Deep enough for any structured report seen in practice (tens of levels). */
const MAX_SEQUENCE_DEPTH = 128;

// Thrown through the recursion when a prefix runs out; caught once at the top. Not an Error: no
// stack trace to capture on a path that streaming readers take routinely.
class NeedMoreBytes {
  constructor(readonly needed: number) {}
}

/** Parser state shared by the recursion over one buffer. */
class Parser {
  stoppedAt: Tag | undefined;
  /** Current sequence nesting; bounded so that hostile input cannot exhaust the stack. */
  private depth = 0;
  /** Bytes past this offset are not part of the input (the buffer length, or a group's end). */
  readonly available: number;

  constructor(
    readonly bytes: Buffer,
    readonly final: boolean,
    readonly untilTag: Tag | undefined,
    limit?: number,
  ) {
    this.available = limit ?? bytes.length;
  }

  /** Reports that `needed` bytes are required: TRUNCATED for a complete file, else a request for more. */
  short(needed: number, at: number, tag: Tag | undefined, what: string): never {
    if (!this.final) throw new NeedMoreBytes(needed);
    throw new DicomParseError(
      'TRUNCATED',
      `${what} needs ${needed - at} bytes but only ${Math.max(0, this.available - at)} remain`,
      at,
      tag,
    );
  }

  u16(p: number, le: boolean): number {
    const b = this.bytes;
    return le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
  }

  u32(p: number, le: boolean): number {
    const b = this.bytes;
    return le
      ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
      : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  tag(p: number, le: boolean): Tag {
    return ((this.u16(p, le) << 16) | this.u16(p + 2, le)) >>> 0;
  }

  /**
   * Reads elements into `dataset` from `pos`:
   * - top level (`end` -1, not delimited): to the end of the bytes, or the untilTag stop;
   * - a defined-length item: to `end`;
   * - an undefined-length item (`delimited`): to its Item Delimitation Item (PS3.5 7.5.2).
   * Returns the position after the last byte consumed.
   */
  readElements(dataset: DicomDataset, encoding: DatasetEncoding, pos: number, end: number, delimited: boolean): number {
    const available = this.available;
    const le = encoding.littleEndian;
    const top = end < 0 && !delimited;
    for (;;) {
      if (end >= 0) {
        if (pos === end) return pos;
        if (pos > end) throw new DicomParseError('INVALID_LENGTH', 'Element runs past the end of its item', pos);
      } else if (pos >= available) {
        if (top && this.final) return pos;
        this.short(pos + 8, pos, undefined, delimited ? 'Item delimiter' : 'Next element');
      }
      if (pos + 4 > available) this.short(pos + 8, pos, undefined, 'Element tag');
      const tag = this.tag(pos, le);
      if (top && this.untilTag !== undefined && tag >= this.untilTag) {
        this.stoppedAt = tag;
        return pos;
      }
      if (tag >>> 16 === 0xfffe) {
        if (pos + 8 > available) this.short(pos + 8, pos, tag, 'Delimiter');
        if (tag === ITEM_DELIMITATION_TAG && delimited) return pos + 8;
        if (tag === ITEM_DELIMITATION_TAG || tag === SEQUENCE_DELIMITATION_TAG) {
          // A stray delimiter in a data set: skipped, as DCMTK and pydicom do.
          pos += 8;
          continue;
        }
        throw new DicomParseError('INVALID_SEQUENCE', 'Item outside a sequence', pos, tag);
      }
      pos = this.readElement(dataset, encoding, pos, tag, end);
    }
  }

  /** Reads the element at `pos` (tag already read) into `dataset`; returns the position after it. */
  private readElement(dataset: DicomDataset, encoding: DatasetEncoding, pos: number, tag: Tag, end: number): number {
    const bytes = this.bytes;
    const available = this.available;
    const le = encoding.littleEndian;
    if (pos + 8 > available) this.short(pos + 8, pos, tag, 'Element header');
    let vr: Vr;
    let length: number;
    let valueOffset: number;
    let explicitUn = false;
    if (encoding.explicitVr) {
      const code = (bytes[pos + 4]! << 8) | bytes[pos + 5]!;
      const encoded = VR_BY_CODE.get(code);
      if (encoded === undefined) {
        const shown = JSON.stringify(String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!));
        throw new DicomParseError('INVALID_VR', `Invalid VR ${shown}`, pos + 4, tag);
      }
      vr = encoded;
      if (hasLongLength(vr)) {
        if (pos + 12 > available) this.short(pos + 12, pos, tag, 'Element header');
        length = this.u32(pos + 8, le);
        valueOffset = pos + 12;
      } else {
        length = this.u16(pos + 6, le);
        valueOffset = pos + 8;
      }
      explicitUn = vr === 'UN';
    } else {
      length = this.u32(pos + 4, le);
      valueOffset = pos + 8;
      vr = implicitVr(tag, dataset);
    }

    // An explicit UN of a standard attribute (e.g. relayed by a node that did not know it) is read
    // with the dictionary VR (PS3.5 6.2.2): its value bytes are Implicit VR Little Endian. A private
    // creator is always LO (PS3.5 7.8.1).
    let sequenceEncoding = encoding;
    if (explicitUn) {
      sequenceEncoding = IMPLICIT_LE;
      if (le) {
        const known = entryOf(tag);
        if (known) vr = known.vrs.includes('SQ') ? 'SQ' : implicitVr(tag, dataset);
        else if (isPrivateCreatorTag(tag)) vr = 'LO';
      }
    }

    if (length === UNDEFINED_LENGTH) {
      // Undefined length: a sequence (SQ; UN, PS3.5 6.2.2 Note 3; anything in implicit VR, whose
      // private sequences the dictionary cannot know), or encapsulated pixel data (PS3.5 A.4).
      const sequence = vr === 'SQ' || explicitUn;
      if (!sequence && (isPixelDataTag(tag) || ((vr === 'OB' || vr === 'OW') && encoding.explicitVr))) {
        const { fragments, contentEnd, next } = this.readFragments(encoding, valueOffset, tag);
        dataset.elements.set(
          tag,
          new DicomElement(tag, vr, valueOffset, contentEnd - valueOffset, true, undefined, fragments, pos),
        );
        return next;
      }
      if (sequence || !encoding.explicitVr) {
        const { items, contentEnd, next } = this.readSequence(dataset, sequenceEncoding, valueOffset, -1, tag);
        dataset.elements.set(
          tag,
          new DicomElement(tag, 'SQ', valueOffset, contentEnd - valueOffset, true, items, undefined, pos),
        );
        return next;
      }
      throw new DicomParseError('INVALID_LENGTH', `Undefined length is not allowed for VR ${vr}`, pos, tag);
    }

    const valueEnd = valueOffset + length;
    if (end >= 0 && valueEnd > end) {
      throw new DicomParseError('INVALID_LENGTH', `Value of ${length} bytes runs past the end of its item`, pos, tag);
    }
    if (valueEnd > available) this.short(valueEnd, pos, tag, 'Element value');
    let items: DicomDataset[] | undefined;
    if (vr === 'SQ') items = this.readSequence(dataset, sequenceEncoding, valueOffset, valueEnd, tag).items;
    dataset.elements.set(tag, new DicomElement(tag, vr, valueOffset, length, false, items, undefined, pos));
    return valueEnd;
  }

  /** Reads the items of a sequence, up to `end` or (-1) its Sequence Delimitation Item. */
  private readSequence(
    parent: DicomDataset,
    encoding: DatasetEncoding,
    start: number,
    end: number,
    sequenceTag: Tag,
  ): { items: DicomDataset[]; contentEnd: number; next: number } {
    if (++this.depth > MAX_SEQUENCE_DEPTH) {
      throw new DicomParseError(
        'INVALID_SEQUENCE',
        `Sequences nested deeper than ${MAX_SEQUENCE_DEPTH}`,
        start,
        sequenceTag,
      );
    }
    try {
      return this.readItems(parent, encoding, start, end, sequenceTag);
    } finally {
      this.depth--;
    }
  }

  private readItems(
    parent: DicomDataset,
    encoding: DatasetEncoding,
    start: number,
    end: number,
    sequenceTag: Tag,
  ): { items: DicomDataset[]; contentEnd: number; next: number } {
    const available = this.available;
    const le = encoding.littleEndian;
    const items: DicomDataset[] = [];
    let pos = start;
    for (;;) {
      if (end >= 0 && pos >= end) {
        if (pos > end) throw new DicomParseError('INVALID_LENGTH', 'Item runs past the end of its sequence', pos);
        return { items, contentEnd: pos, next: pos };
      }
      if (pos + 8 > available) this.short(pos + 8, pos, sequenceTag, 'Item header');
      const tag = this.tag(pos, le);
      const length = this.u32(pos + 4, le);
      if (tag === SEQUENCE_DELIMITATION_TAG) {
        if (end < 0) return { items, contentEnd: pos, next: pos + 8 };
        pos += 8; // inside a defined length it is redundant; tolerated
        continue;
      }
      if (tag !== ITEM_TAG) {
        throw new DicomParseError('INVALID_SEQUENCE', `Expected an item in sequence, found another tag`, pos, tag);
      }
      const item = new DicomDataset(this.bytes, encoding, parent);
      if (length === UNDEFINED_LENGTH) {
        pos = this.readElements(item, encoding, pos + 8, -1, true);
      } else {
        const itemEnd = pos + 8 + length;
        if (end >= 0 && itemEnd > end) {
          throw new DicomParseError(
            'INVALID_LENGTH',
            `Item of ${length} bytes runs past its sequence`,
            pos,
            sequenceTag,
          );
        }
        if (itemEnd > available) this.short(itemEnd, pos, sequenceTag, 'Item');
        this.readElements(item, encoding, pos + 8, itemEnd, false);
        pos = itemEnd;
      }
      items.push(item);
    }
  }

  /** Locates the fragments of encapsulated pixel data (PS3.5 A.4) without reading them. */
  private readFragments(
    encoding: DatasetEncoding,
    start: number,
    pixelTag: Tag,
  ): { fragments: ByteRange[]; contentEnd: number; next: number } {
    const available = this.available;
    const le = encoding.littleEndian;
    const fragments: ByteRange[] = [];
    let pos = start;
    for (;;) {
      if (pos + 8 > available) this.short(pos + 8, pos, pixelTag, 'Fragment header');
      const tag = this.tag(pos, le);
      const length = this.u32(pos + 4, le);
      if (tag === SEQUENCE_DELIMITATION_TAG) return { fragments, contentEnd: pos, next: pos + 8 };
      if (tag !== ITEM_TAG) {
        throw new DicomParseError('INVALID_SEQUENCE', 'Expected a fragment item in encapsulated data', pos, tag);
      }
      if (length === UNDEFINED_LENGTH) {
        throw new DicomParseError('INVALID_LENGTH', 'A fragment has undefined length', pos, pixelTag);
      }
      const fragmentEnd = pos + 8 + length;
      if (fragmentEnd > available) this.short(fragmentEnd, pos, pixelTag, 'Fragment');
      fragments.push({ offset: pos + 8, length });
      pos = fragmentEnd;
    }
  }
}

/**
 * The VR of an element of an implicit VR data set (PS3.5 A.1): the dictionary's; for the "US or SS"
 * attributes (pixel value ranges, LUT descriptors) SS when Pixel Representation (0028,0103) says
 * signed samples; UL for group lengths; LO for private creators; UN for anything unknown.
 */
function implicitVr(tag: Tag, dataset: DicomDataset): Vr {
  const entry = entryOf(tag);
  if (entry) {
    if (entry.vr === 'US' && entry.vrs.length > 1) return pixelRepresentation(dataset) === 1 ? 'SS' : 'US';
    return entry.vr;
  }
  if (isGroupLengthTag(tag)) return 'UL';
  if (isPrivateCreatorTag(tag)) return 'LO';
  return 'UN';
}

function pixelRepresentation(dataset: DicomDataset): number | undefined {
  for (let current: DicomDataset | undefined = dataset; current; current = current.parent) {
    const element = current.elements.get(PIXEL_REPRESENTATION_TAG);
    if (element && element.length >= 2) {
      return current.encoding.littleEndian
        ? current.bytes.readUInt16LE(element.offset)
        : current.bytes.readUInt16BE(element.offset);
    }
  }
  return undefined;
}

/**
 * Reads top-level elements into an existing data set from `start`, up to `limit` (default: the end
 * of the bytes) or the first tag >= `untilTag`. For the file meta group (part10.ts); left out of
 * the lib's index.
 */
export function readElementsInto(
  dataset: DicomDataset,
  start: number,
  options: { untilTag?: Tag; final: boolean; limit?: number },
): { status: 'complete'; end: number; stoppedAt: Tag | undefined } | DatasetReadNeedMoreBytes {
  const parser = new Parser(dataset.bytes, options.final, options.untilTag, options.limit);
  try {
    const end = parser.readElements(dataset, dataset.encoding, start, -1, false);
    return { status: 'complete', end, stoppedAt: parser.stoppedAt };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return { status: 'need-more-bytes', needed: error.needed };
    throw error;
  }
}

function resolveTransferSyntax(option: TransferSyntax | string | undefined, offset: number): TransferSyntax {
  if (option === undefined) return IMPLICIT_VR_LITTLE_ENDIAN;
  if (typeof option !== 'string') return option;
  const found = transferSyntaxOf(option);
  if (!found) {
    throw new DicomParseError('UNSUPPORTED_TRANSFER_SYNTAX', `Unknown transfer syntax ${option}`, offset);
  }
  return found;
}

/**
 * Whether the first element contradicts the declared VR form, and which form it is in. Only the
 * first element is checked, as DCMTK and pydicom do: explicit VR is recognised by two uppercase
 * letters naming a VR where implicit VR has the low bytes of a 32-bit length.
 */
function actualEncoding(bytes: Buffer, offset: number, declared: DatasetEncoding): DatasetEncoding {
  if (!declared.littleEndian || offset + 6 > bytes.length) return declared;
  const looksExplicit = VR_BY_CODE.has((bytes[offset + 4]! << 8) | bytes[offset + 5]!);
  if (declared.explicitVr && !looksExplicit) return IMPLICIT_LE;
  if (!declared.explicitVr && looksExplicit) return { explicitVr: true, littleEndian: true };
  return declared;
}

function readPlain(
  bytes: Buffer,
  offset: number,
  syntax: TransferSyntax,
  untilTag: Tag | undefined,
  final: boolean,
): DatasetReadResult {
  const declared: DatasetEncoding = { explicitVr: syntax.explicitVr, littleEndian: syntax.littleEndian };
  const encoding = actualEncoding(bytes, offset, declared);
  const dataset = new DicomDataset(bytes, encoding);
  const parser = new Parser(bytes, final, untilTag);
  try {
    const end = parser.readElements(dataset, encoding, offset, -1, false);
    return { status: 'complete', dataset, end, stoppedAt: parser.stoppedAt, transferSyntax: syntax, encoding };
  } catch (error) {
    if (error instanceof NeedMoreBytes) return { status: 'need-more-bytes', needed: error.needed };
    throw error;
  }
}

function inflate(compressed: Buffer, maxOutputLength: number, offset: number): Buffer {
  // Z_SYNC_FLUSH returns what the bytes given so far decode to, instead of failing on a stream
  // that stops early: a prefix of the file inflates to a prefix of the data set.
  const options = { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength };
  try {
    return inflateRawSync(compressed, options);
  } catch (rawError) {
    // PS3.5 A.5 says raw deflate (RFC 1951); some writers add the zlib wrapper (RFC 1950).
    if (compressed[0] === 0x78) {
      try {
        return inflateSync(compressed, options);
      } catch {
        // fall through to the error of the raw attempt
      }
    }
    throw new DicomParseError(
      'INVALID_DEFLATE',
      `Deflated data set does not inflate: ${String(rawError)}`,
      offset,
      undefined,
      {
        cause: rawError,
      },
    );
  }
}

/**
 * Reads a data set (no preamble, no file meta group: see readPart10 for files) from bytes in the
 * given transfer syntax. Element values are located, not decoded nor copied; sequences and
 * encapsulated pixel data (fragments) are walked by their lengths.
 *
 * Deflated syntaxes (PS3.5 A.5) are inflated first; with `untilTag` only a growing prefix of the
 * compressed bytes is inflated until the stop element is reached, so pixel data is not inflated.
 *
 * Throws DicomParseError; with `final: false` a data set that continues past the given bytes
 * answers 'need-more-bytes' instead of TRUNCATED.
 */
export function readDataset(bytes: Buffer, options: ReadDatasetOptions = {}): DatasetReadResult {
  const offset = options.offset ?? 0;
  const final = options.final ?? true;
  const syntax = resolveTransferSyntax(options.transferSyntax, offset);
  if (syntax.unparseable) {
    throw new DicomParseError('UNSUPPORTED_TRANSFER_SYNTAX', `${syntax.name} is not a binary data set`, offset);
  }
  if (!syntax.deflated) return readPlain(bytes, offset, syntax, options.untilTag, final);

  const compressed = bytes.subarray(offset);
  const max = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED;
  let take = options.untilTag === undefined ? compressed.length : Math.min(compressed.length, FIRST_INFLATE_CHUNK);
  for (;;) {
    const all = take === compressed.length;
    const inflated = inflate(compressed.subarray(0, take), max, offset);
    const result = readPlain(inflated, 0, syntax, options.untilTag, final && all);
    if (result.status === 'complete') return result;
    if (all) return { status: 'need-more-bytes', needed: bytes.length + 1 };
    take = Math.min(compressed.length, take * 4);
  }
}
