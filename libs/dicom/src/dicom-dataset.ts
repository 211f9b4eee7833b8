import { characterSetOf, DEFAULT_CHARACTER_SET, type CharacterSet } from './character-set';
import { tagOf } from './dictionary';
import { decodeNumbers, decodePersonNames, decodeStrings, elementBytes, type PersonNameGroups } from './element-value';
import { SPECIFIC_CHARACTER_SET_TAG, type Tag } from './tag';
import type { Vr } from './vr';

/** How the elements of a data set are encoded (PS3.5 7.1, 7.3). */
export interface DatasetEncoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

/** A run of bytes inside `DicomDataset.bytes`. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * One data element as it sits in the bytes: where its value is, not the value itself. Values are
 * decoded on demand (DicomDataset.string, numbers, ...), so parsing a header costs one small object
 * per element and never touches the values it does not need (pixel data above all).
 */
export class DicomElement {
  constructor(
    readonly tag: Tag,
    /**
     * The VR to read the value with: as encoded (explicit VR), from the dictionary (implicit VR,
     * or an explicit UN of a standard attribute, PS3.5 6.2.2), and SQ for any element the parser
     * read as a sequence (including UN of undefined length, PS3.5 6.2.2 Note 3).
     */
    readonly vr: Vr,
    /** Offset of the first byte of the value in the data set's bytes. */
    readonly offset: number,
    /** Value length in bytes; for an undefined length, the bytes up to the closing delimiter. */
    readonly length: number,
    /** Encoded with undefined length (0xFFFFFFFF) and closed by a delimiter (PS3.5 7.5). */
    readonly undefinedLength: boolean,
    /** Items of a sequence (VR SQ). */
    readonly items: readonly DicomDataset[] | undefined,
    /**
     * Encapsulated pixel data (PS3.5 A.4): each fragment's bytes, the Basic Offset Table first.
     * Located, never copied.
     */
    readonly fragments: readonly ByteRange[] | undefined,
    /** Offset of the element's tag: where it starts in the bytes. */
    readonly headerOffset: number,
  ) {}
}

/**
 * A parsed data set (or sequence item): its elements in encoded order, over the bytes they were
 * read from. Items know their parent data set, from which they inherit the Specific Character Set
 * when they do not carry one (PS3.5 7.5.3).
 */
export class DicomDataset {
  /** Elements by tag, in the order read (ascending tag in a valid data set). */
  readonly elements = new Map<Tag, DicomElement>();
  private charset: CharacterSet | undefined;

  constructor(
    /** The bytes the element offsets point into (for a deflated syntax: the inflated bytes). */
    readonly bytes: Buffer,
    readonly encoding: DatasetEncoding,
    /** The data set holding the sequence this item belongs to; undefined at top level. */
    readonly parent?: DicomDataset,
  ) {}

  get size(): number {
    return this.elements.size;
  }

  /** The element of a tag or keyword (a typo in a keyword throws, see tagOf). */
  get(tagOrKeyword: Tag | string): DicomElement | undefined {
    return this.elements.get(typeof tagOrKeyword === 'number' ? tagOrKeyword : tagOf(tagOrKeyword));
  }

  has(tagOrKeyword: Tag | string): boolean {
    return this.get(tagOrKeyword) !== undefined;
  }

  [Symbol.iterator](): IterableIterator<DicomElement> {
    return this.elements.values();
  }

  /** The raw value bytes (a view, not a copy). */
  bytesOf(tagOrKeyword: Tag | string): Buffer | undefined {
    const element = this.get(tagOrKeyword);
    return element && elementBytes(this, element);
  }

  /** The values of a string element, decoded and trimmed per VR (see decodeStrings). */
  strings(tagOrKeyword: Tag | string): string[] {
    const element = this.get(tagOrKeyword);
    return element ? decodeStrings(this, element) : [];
  }

  /** The first value of a string element, or undefined when absent or empty. */
  string(tagOrKeyword: Tag | string): string | undefined {
    const value = this.strings(tagOrKeyword)[0];
    return value === '' ? undefined : value;
  }

  /** The values of a numeric element (binary numbers, IS, DS); NaN for an unparseable string. */
  numbers(tagOrKeyword: Tag | string): number[] {
    const element = this.get(tagOrKeyword);
    return element ? decodeNumbers(this, element) : [];
  }

  /** The first value of a numeric element, or undefined. */
  number(tagOrKeyword: Tag | string): number | undefined {
    return this.numbers(tagOrKeyword)[0];
  }

  /** The component groups of each value of a PN element. */
  personNames(tagOrKeyword: Tag | string): PersonNameGroups[] {
    const element = this.get(tagOrKeyword);
    return element ? decodePersonNames(this, element) : [];
  }

  /** The items of a sequence element (empty when absent). */
  items(tagOrKeyword: Tag | string): readonly DicomDataset[] {
    return this.get(tagOrKeyword)?.items ?? [];
  }

  /** The Specific Character Set in force: this data set's, else the enclosing one's, else default. */
  get characterSet(): CharacterSet {
    if (!this.charset) {
      const own = this.elements.get(SPECIFIC_CHARACTER_SET_TAG);
      this.charset = own
        ? characterSetOf(decodeStrings(this, own))
        : (this.parent?.characterSet ?? DEFAULT_CHARACTER_SET);
    }
    return this.charset;
  }
}
