// Writing text values in a data set's Specific Character Set (0008,0005), PS3.5 6.1 and PS3.3
// C.12.1.1.2. @pacs/dicom decodes every character set but has no encoder, so this one is built on
// its decoder: each table below is the decoder's (Node's ICU) read backwards, and every value
// encoded is decoded again with @pacs/dicom's CharacterSet and compared before it is accepted, so
// a value is never written in bytes that read back as anything else.
//
// Without code extensions: the default repertoire, the ISO 8859 parts and TIS 620 (ISO_IR 100 to
// 203, 166), JIS X 0201 (ISO_IR 13), UTF-8 (ISO_IR 192), GBK, and the two-byte part of GB18030.
// With code extensions (ISO 2022, PS3.5 6.1.2.5): the G0 sets ISO-IR 6, 14, 87, 159 and the G1 sets
// ISO-IR 13, 100-203, 149, 58, designated by escape sequences; the sets of value 1 are in force again
// before each delimiter and at the end of the value (PS3.5 6.1.2.5.3).

import { TextDecoder } from 'node:util';
import { characterSetOf, type CharacterSet } from '@pacs/dicom';

const ESC = 0x1b;

/** Bytes of one character in one set, as written (7-bit in G0, 8-bit in G1). */
type CodeTable = ReadonlyMap<string, readonly number[]>;

const tables = new Map<string, CodeTable>();

/** A reverse table built once, by decoding every code of the set; the first code of a character wins. */
function codeTable(name: string, codes: () => Iterable<readonly number[]>, label: string, prefix: number[] = []) {
  let table = tables.get(name);
  if (!table) {
    const decoder = label === 'latin1' ? undefined : new TextDecoder(label, { fatal: false });
    const map = new Map<string, readonly number[]>();
    for (const code of codes()) {
      const bytes = Uint8Array.from([...prefix, ...code]);
      const text = decoder ? decoder.decode(bytes) : Buffer.from(bytes).toString('latin1');
      // An unassigned code decodes to U+FFFD, or to more than one character: not a code of the set.
      if ([...text].length === 1 && text !== '\ufffd' && !map.has(text)) map.set(text, code);
    }
    table = map;
    tables.set(name, table);
  }
  return table;
}

function* range(first: number, last: number): Iterable<readonly number[]> {
  for (let byte = first; byte <= last; byte++) yield [byte];
}

function* pairs(firstLead: number, lastLead: number, firstTrail: number, lastTrail: number) {
  for (let lead = firstLead; lead <= lastLead; lead++) {
    for (let trail = firstTrail; trail <= lastTrail; trail++) if (trail !== 0x7f) yield [lead, trail];
  }
}

// ISO-IR numbers of the 96-character single-byte sets (PS3.3 Table C.12-2/C.12-3): decoder label
// and final byte F of the G1 designation ESC 2/13 F.
const SINGLE_BYTE: Readonly<Record<string, { readonly label: string; readonly final: number }>> = {
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

const upperHalf = (label: string) => codeTable(label, () => range(0xa0, 0xff), label);
const katakana = () => codeTable('jis-x-0201', () => range(0xa1, 0xdf), 'shift_jis');
const euc = (name: string, label: string, prefix: number[] = []) =>
  codeTable(name, () => pairs(0xa1, 0xfe, 0xa1, 0xfe), label, prefix);
const sevenBit = (code: readonly number[] | undefined) => code?.map((byte) => byte & 0x7f);
// GBK's two-byte codes (GB18030 has them too; its four-byte codes are not written here).
const gbk = () => codeTable('gbk', () => pairs(0x81, 0xfe, 0x40, 0xfe), 'gbk');

/** An ISO 2022 code element (PS3.3 Tables C.12-3, C.12-4). */
interface CodeElement {
  readonly slot: 'G0' | 'G1';
  /** The escape sequence designating it, ESC excluded. */
  readonly designation: readonly number[];
  codeOf(char: string): readonly number[] | undefined;
}

const asciiCode = (char: string) => (char.length === 1 && char.charCodeAt(0) < 0x80 ? [char.charCodeAt(0)] : undefined);
const ASCII: CodeElement = { slot: 'G0', designation: [0x28, 0x42], codeOf: asciiCode };
const JIS_ROMAN: CodeElement = { slot: 'G0', designation: [0x28, 0x4a], codeOf: asciiCode };

/** The code elements an ISO 2022 defined term designates; undefined for one this cannot write. */
function elementsOfTerm(term: string): CodeElement[] | undefined {
  if (term === '' || term === 'ISO 2022 IR 6') return [ASCII];
  const number = /^ISO 2022 IR (\d+)$/.exec(term)?.[1];
  if (number === undefined) return undefined;
  switch (number) {
    case '13':
      return [JIS_ROMAN, { slot: 'G1', designation: [0x29, 0x49], codeOf: (char) => katakana().get(char) }];
    case '87':
      return [{ slot: 'G0', designation: [0x24, 0x42], codeOf: (char) => sevenBit(euc('x0208', 'euc-jp').get(char)) }];
    case '159':
      return [
        {
          slot: 'G0',
          designation: [0x24, 0x28, 0x44],
          codeOf: (char) => sevenBit(euc('x0212', 'euc-jp', [0x8f]).get(char)),
        },
      ];
    case '149':
      return [{ slot: 'G1', designation: [0x24, 0x29, 0x43], codeOf: (char) => euc('ksx1001', 'euc-kr').get(char) }];
    case '58':
      return [{ slot: 'G1', designation: [0x24, 0x29, 0x41], codeOf: (char) => euc('gb2312', 'gbk').get(char) }];
    default: {
      const set = SINGLE_BYTE[number];
      if (!set) return undefined;
      return [ASCII, { slot: 'G1', designation: [0x2d, set.final], codeOf: (char) => upperHalf(set.label).get(char) }];
    }
  }
}

// Where the ISO 2022 state returns to that of value 1 (PS3.5 6.1.2.5.3): the value delimiter and
// the control characters of LT, ST, UT; in PN also the component and component group delimiters.
function isDelimiter(code: number, personName: boolean): boolean {
  return (
    code === 0x5c ||
    code === 0x0d ||
    code === 0x0a ||
    code === 0x0c ||
    code === 0x09 ||
    (personName && (code === 0x5e || code === 0x3d))
  );
}

interface Iso2022Sets {
  /** The sets of value 1, in force at the start of a value and after each delimiter. */
  readonly initialG0: CodeElement;
  readonly initialG1: CodeElement | undefined;
  /** Every set the terms declare, in their order: a character goes in the first that has it. */
  readonly elements: readonly CodeElement[];
}

function encodeIso2022(text: string, personName: boolean, sets: Iso2022Sets): number[] | undefined {
  const { initialG0, initialG1, elements } = sets;
  let g0 = initialG0;
  let g1 = initialG1;
  const out: number[] = [];
  const designate = (element: CodeElement) => {
    out.push(ESC, ...element.designation);
    if (element.slot === 'G0') g0 = element;
    else g1 = element;
  };
  const restore = () => {
    if (g0 !== initialG0) designate(initialG0);
    if (initialG1 && g1 !== initialG1) designate(initialG1);
    // Without a G1 set in value 1 there is nothing to designate back, but readers forget the G1
    // set at a delimiter (PS3.5 6.1.2.5.3): the next upper-half character designates it again.
    g1 = initialG1;
  };
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      if (isDelimiter(code, personName)) restore();
      else if (g0 !== ASCII && g0 !== JIS_ROMAN) designate(initialG0);
      out.push(code);
      continue;
    }
    const element = elements.find((candidate) => candidate !== ASCII && candidate.codeOf(char) !== undefined);
    if (!element) return undefined;
    if ((element.slot === 'G0' ? g0 : g1) !== element) designate(element);
    out.push(...element.codeOf(char)!);
  }
  restore();
  return out;
}

function encodeSingleSet(text: string, table: (() => CodeTable) | undefined): number[] | undefined {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const bytes = table?.().get(char);
    if (!bytes) return undefined;
    out.push(...bytes);
  }
  return out;
}

/** Writes text values in one Specific Character Set. */
export interface TextEncoding {
  /** The character set, as @pacs/dicom reads it. */
  readonly characterSet: CharacterSet;
  /**
   * The bytes of one value of a text VR (SH, LO, ST, LT, UT, UC, PN), or undefined when a
   * character has no code in the character set. `personName` for PN (its delimiters reset ISO 2022).
   */
  encode(value: string, personName: boolean): Buffer | undefined;
}

type Encoder = (text: string, personName: boolean) => number[] | undefined;

function encoderFor(characterSet: CharacterSet): Encoder {
  const terms = characterSet.terms;
  const first = terms[0] ?? '';
  // Standalone sets (PS3.3 Table C.12-2, C.12-5): one set for the whole value.
  if (terms.length <= 1 && !first.startsWith('ISO 2022')) {
    if (first === 'ISO_IR 192') return (text) => [...Buffer.from(text, 'utf8')];
    if (first === 'GB18030' || first === 'GBK') return (text) => encodeSingleSet(text, gbk);
    if (first === 'ISO_IR 13') return (text) => encodeSingleSet(text, katakana);
    const single = SINGLE_BYTE[/^ISO_IR (\d+)$/.exec(first)?.[1] ?? ''];
    if (single) return (text) => encodeSingleSet(text, () => upperHalf(single.label));
    // The default repertoire, or a term @pacs/dicom does not know: ASCII only.
    return (text) => encodeSingleSet(text, undefined);
  }
  // Value 1 may be written without "2022" ("ISO_IR 100" with code extensions in the other values).
  const perTerm = terms.map((term, index) =>
    elementsOfTerm(index === 0 ? term.replace(/^ISO_IR 6$/, '').replace(/^ISO_IR /, 'ISO 2022 IR ') : term),
  );
  if (perTerm.some((elements) => elements === undefined)) return (text) => encodeSingleSet(text, undefined);
  const declared = perTerm as CodeElement[][];
  // Value 1 brings the sets in force at the start of a value; a multi-byte G0 cannot be one of them
  // (PS3.3 C.12.1.1.2), and the decoder then starts in ASCII, as it does for a G1-only value 1.
  const firstG0 = declared[0]!.find((element) => element.slot === 'G0');
  const sets: Iso2022Sets = {
    initialG0: firstG0 === JIS_ROMAN ? JIS_ROMAN : ASCII,
    initialG1: declared[0]!.find((element) => element.slot === 'G1'),
    elements: declared.flat(),
  };
  return (text, personName) => encodeIso2022(text, personName, sets);
}

/** The text encoding of a Specific Character Set (its values as found in (0008,0005)). */
export function textEncodingFor(specificCharacterSet: readonly string[]): TextEncoding {
  const characterSet = characterSetOf(specificCharacterSet);
  const encoder = encoderFor(characterSet);
  return {
    characterSet,
    encode(value, personName) {
      const code = encoder(value, personName);
      if (code === undefined) return undefined;
      const bytes = Buffer.from(code);
      // The round trip through @pacs/dicom's decoder is the proof: what it reads is what was meant.
      return characterSet.decode(bytes, 0, bytes.length, personName) === value ? bytes : undefined;
    },
  };
}
