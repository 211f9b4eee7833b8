// Encoding of text values for a Specific Character Set (0008,0005): the inverse of the decoder of
// @pacs/dicom (character-set.ts), for the character sets of PS3.3 Tables C.12-2 to C.12-4 that
// Node's ICU can give us tables for. Every table is the decoder's own, read backwards: what this
// writes, that decoder (and any other following PS3.5 6.1) reads back.
//
// - Without code extensions: ISO_IR 6 (ASCII), ISO_IR 100/101/109/110/126/127/138/144/148/166/203
//   (one 8-bit set), ISO_IR 192 (UTF-8).
// - With code extensions (ISO 2022, PS3.5 6.1.2.5): the G0 sets ISO-IR 6, 14 (JIS X 0201 Roman),
//   87 (JIS X 0208), 159 (JIS X 0212) and the G1 sets ISO-IR 13 (JIS X 0201 Katakana), 100-203
//   (ISO 8859), 149 (KS X 1001), 58 (GB 2312), designated by escape sequences where needed. Each
//   character goes in the first declared set that has it; before every delimiter (backslash, CR,
//   LF, FF, TAB, and "^" "=" in PN) and at the end of the value the sets of value 1 are designated
//   again (PS3.5 6.1.2.5.3).
// GB18030 and GBK have no encoder here: a caller falls back to UTF-8.

import { TextDecoder } from 'node:util';

const ESC = 0x1b;

/** Text of one value turned into bytes; undefined when a character has no code in the character set. */
export interface TextEncoding {
  /** The (0008,0005) values this encodes for, as they are to be written. */
  readonly terms: readonly string[];
  /** Whether every code is ASCII (no (0008,0005) needed). */
  readonly isDefault: boolean;
  encode(text: string, personName: boolean): Buffer | undefined;
}

// The 96-character sets usable as G1, by ISO-IR number: WHATWG label and the final byte F of their
// designation ESC 2/13 F (PS3.3 Table C.12-3).
const SINGLE_BYTE: Readonly<Record<string, { label: string; final: number }>> = {
  '100': { label: 'latin1', final: 0x41 },
  '101': { label: 'iso-8859-2', final: 0x42 },
  '109': { label: 'iso-8859-3', final: 0x43 },
  '110': { label: 'iso-8859-4', final: 0x44 },
  '126': { label: 'iso-8859-7', final: 0x46 },
  '127': { label: 'iso-8859-6', final: 0x47 },
  '138': { label: 'iso-8859-8', final: 0x48 },
  '144': { label: 'iso-8859-5', final: 0x4c },
  '148': { label: 'iso-8859-9', final: 0x4d },
  '166': { label: 'windows-874', final: 0x54 },
  '203': { label: 'iso-8859-15', final: 0x62 },
};

const tables = new Map<string, ReadonlyMap<string, readonly number[]>>();

/**
 * Character → bytes of one set, built once by decoding each of its codes: `add` keeps a code
 * that decodes to one real character (an unassigned code decodes to U+FFFD), the first one wins.
 */
function table(
  name: string,
  build: (add: (text: string, bytes: number[]) => void) => void,
): ReadonlyMap<string, readonly number[]> {
  let found = tables.get(name);
  if (!found) {
    const map = new Map<string, readonly number[]>();
    build((text, bytes) => {
      if ([...text].length === 1 && text !== '\ufffd' && !map.has(text)) map.set(text, bytes);
    });
    found = map;
    tables.set(name, found);
  }
  return found;
}

function singleByteTable(label: string): ReadonlyMap<string, readonly number[]> {
  return table(label, (add) => {
    // WHATWG's "iso-8859-1" is windows-1252: ISO 8859-1 is read natively, as the decoder does.
    const decoder = label === 'latin1' ? undefined : new TextDecoder(label);
    for (let byte = 0xa0; byte <= 0xff; byte++) {
      add(decoder ? decoder.decode(Uint8Array.of(byte)) : String.fromCharCode(byte), [byte]);
    }
  });
}

function doubleByteTable(
  name: string,
  label: string,
  prefix: readonly number[],
  lastLead: number,
): ReadonlyMap<string, readonly number[]> {
  return table(name, (add) => {
    const decoder = new TextDecoder(label);
    for (let lead = 0xa1; lead <= lastLead; lead++) {
      for (let trail = 0xa1; trail <= 0xfe; trail++) {
        add(decoder.decode(Uint8Array.of(...prefix, lead, trail)), [lead, trail]);
      }
    }
  });
}

/** One code element of ISO 2022 (PS3.3 Tables C.12-3, C.12-4). */
interface CodeElement {
  readonly name: string;
  readonly slot: 'G0' | 'G1';
  /** Escape sequence designating it (without ESC). */
  readonly designation: readonly number[];
  /** Bytes of a character in this element, as written (7-bit for G0, 8-bit for G1); undefined if absent. */
  codeOf(char: string): readonly number[] | undefined;
}

const ASCII: CodeElement = {
  name: 'ISO-IR 6',
  slot: 'G0',
  designation: [0x28, 0x42],
  codeOf: (char) => (char.charCodeAt(0) < 0x80 && char.length === 1 ? [char.charCodeAt(0)] : undefined),
};

const JIS_ROMAN: CodeElement = { ...ASCII, name: 'ISO-IR 14', designation: [0x28, 0x4a] };

function singleByteElement(number: string): CodeElement | undefined {
  const set = SINGLE_BYTE[number];
  if (!set) return undefined;
  return {
    name: `ISO-IR ${number}`,
    slot: 'G1',
    designation: [0x2d, set.final],
    codeOf: (char) => singleByteTable(set.label).get(char),
  };
}

const KATAKANA: CodeElement = {
  name: 'ISO-IR 13',
  slot: 'G1',
  designation: [0x29, 0x49],
  codeOf: (char) =>
    table('jis-x-0201', (add) => {
      const decoder = new TextDecoder('shift_jis');
      for (let byte = 0xa1; byte <= 0xdf; byte++) add(decoder.decode(Uint8Array.of(byte)), [byte]);
    }).get(char),
};

// 94x94 sets invoked in G0 are written in 7 bits (EUC writes them with the high bit set).
const sevenBit = (bytes: readonly number[] | undefined): number[] | undefined => bytes?.map((byte) => byte & 0x7f);

const JIS_X_0208: CodeElement = {
  name: 'ISO-IR 87',
  slot: 'G0',
  designation: [0x24, 0x42],
  codeOf: (char) => sevenBit(doubleByteTable('jis-x-0208', 'euc-jp', [], 0xfe).get(char)),
};

const JIS_X_0212: CodeElement = {
  name: 'ISO-IR 159',
  slot: 'G0',
  designation: [0x24, 0x28, 0x44],
  codeOf: (char) => sevenBit(doubleByteTable('jis-x-0212', 'euc-jp', [0x8f], 0xfe).get(char)),
};

const KS_X_1001: CodeElement = {
  name: 'ISO-IR 149',
  slot: 'G1',
  designation: [0x24, 0x29, 0x43],
  codeOf: (char) => doubleByteTable('ks-x-1001', 'euc-kr', [], 0xfe).get(char),
};

const GB_2312: CodeElement = {
  name: 'ISO-IR 58',
  slot: 'G1',
  designation: [0x24, 0x29, 0x41],
  codeOf: (char) => doubleByteTable('gb-2312', 'gbk', [], 0xf7).get(char),
};

/** Normalises spellings ("ISO-IR 100", "ISO_IR100", "utf-8") to PS3.3's defined terms. */
export function normaliseTerm(term: string): string {
  const upper = term.trim().toUpperCase();
  const isoIr = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (isoIr) return `ISO_IR ${isoIr[1]}`;
  const iso2022 = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (iso2022) return `ISO 2022 IR ${iso2022[1]}`;
  if (upper === 'UTF-8' || upper === 'UTF8') return 'ISO_IR 192';
  return upper;
}

/** The code elements an ISO 2022 defined term brings (value 1 may be empty: ISO 2022 IR 6). */
function elementsOf(term: string): CodeElement[] | undefined {
  if (term === '' || term === 'ISO 2022 IR 6') return [ASCII];
  const number = /^ISO 2022 IR (\d+)$/.exec(term)?.[1];
  if (number === undefined) return undefined;
  if (number === '13') return [JIS_ROMAN, KATAKANA];
  if (number === '87') return [JIS_X_0208];
  if (number === '159') return [JIS_X_0212];
  if (number === '149') return [KS_X_1001];
  if (number === '58') return [GB_2312];
  const single = singleByteElement(number);
  return single ? [single] : undefined;
}

const isDelimiter = (code: number, personName: boolean): boolean =>
  code === 0x5c ||
  code === 0x0d ||
  code === 0x0a ||
  code === 0x0c ||
  code === 0x09 ||
  (personName && (code === 0x5e || code === 0x3d));

class Iso2022Encoding implements TextEncoding {
  readonly isDefault = false;

  constructor(
    readonly terms: readonly string[],
    private readonly elements: readonly CodeElement[],
    private readonly initialG0: CodeElement,
    private readonly initialG1: CodeElement | undefined,
  ) {}

  encode(text: string, personName: boolean): Buffer | undefined {
    const out: number[] = [];
    let g0 = this.initialG0;
    let g1 = this.initialG1;
    const designate = (element: CodeElement): void => {
      out.push(ESC, ...element.designation);
      if (element.slot === 'G0') g0 = element;
      else g1 = element;
    };
    const backToInitial = (): void => {
      if (g0 !== this.initialG0) designate(this.initialG0);
      if (g1 !== this.initialG1 && this.initialG1) designate(this.initialG1);
      g1 = this.initialG1;
    };
    for (const char of text) {
      const code = char.codePointAt(0)!;
      if (code < 0x80) {
        if (isDelimiter(code, personName)) backToInitial();
        else if (g0 !== ASCII && g0 !== JIS_ROMAN) designate(this.initialG0);
        out.push(code);
        continue;
      }
      const element = this.elements.find((candidate) => candidate !== ASCII && candidate.codeOf(char) !== undefined);
      if (!element) return undefined;
      if ((element.slot === 'G0' ? g0 : g1) !== element) designate(element);
      out.push(...element.codeOf(char)!);
    }
    backToInitial();
    return Buffer.from(out);
  }
}

class SimpleEncoding implements TextEncoding {
  constructor(
    readonly terms: readonly string[],
    private readonly kind: 'ascii' | 'utf-8' | { label: string },
  ) {}

  get isDefault(): boolean {
    return this.kind === 'ascii';
  }

  encode(text: string): Buffer | undefined {
    if (this.kind === 'utf-8') return Buffer.from(text, 'utf8');
    const out: number[] = [];
    for (const char of text) {
      const code = char.codePointAt(0)!;
      if (code < 0x80) out.push(code);
      else if (this.kind === 'ascii') return undefined;
      else {
        const bytes = singleByteTable(this.kind.label).get(char);
        if (!bytes) return undefined;
        out.push(...bytes);
      }
    }
    return Buffer.from(out);
  }
}

/**
 * The encoding of the given Specific Character Set values, or undefined when this PACS cannot
 * write that character set (GB18030, GBK, an unknown term).
 */
export function textEncodingFor(terms: readonly string[]): TextEncoding | undefined {
  const normalised = terms.map(normaliseTerm);
  const first = normalised[0] ?? '';
  if (normalised.length <= 1) {
    if (first === '' || first === 'ISO_IR 6') return new SimpleEncoding([], 'ascii');
    if (first === 'ISO_IR 192') return new SimpleEncoding(['ISO_IR 192'], 'utf-8');
    const number = /^ISO_IR (\d+)$/.exec(first)?.[1];
    const single = number === undefined ? undefined : SINGLE_BYTE[number];
    if (single) return new SimpleEncoding([first], { label: single.label });
    if (number === '13') return undefined;
  }
  if (!normalised.every((term, index) => term.startsWith('ISO 2022 IR ') || (index === 0 && term === ''))) {
    return undefined;
  }
  const perTerm = normalised.map(elementsOf);
  if (perTerm.some((elements) => elements === undefined)) return undefined;
  const elements = [ASCII, ...(perTerm as CodeElement[][]).flat()];
  const initial = perTerm[0]!;
  const initialG0 = initial.find((element) => element.slot === 'G0') ?? ASCII;
  const initialG1 = initial.find((element) => element.slot === 'G1');
  // Value 1 may only hold a set usable at the start (PS3.3 C.12.1.1.2): a multi-byte G0 is not.
  if (initialG0 !== ASCII && initialG0 !== JIS_ROMAN) return undefined;
  return new Iso2022Encoding(normalised, elements, initialG0, initialG1);
}

/** UTF-8, which holds every character: the fallback when the requested set cannot. */
export const UTF8_ENCODING: TextEncoding = new SimpleEncoding(['ISO_IR 192'], 'utf-8');

/** ISO 8859-1, the usual one for Western names when nothing was asked for. */
export const LATIN1_ENCODING: TextEncoding = new SimpleEncoding(['ISO_IR 100'], { label: 'latin1' });

/** ASCII, the default repertoire. */
export const DEFAULT_ENCODING: TextEncoding = new SimpleEncoding([], 'ascii');
