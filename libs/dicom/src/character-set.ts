// Decoding of text values per Specific Character Set (0008,0005): PS3.5 6.1, PS3.3 C.12.1.1.2 and
// the examples of PS3.5 Annexes H (Japanese), I (Korean), J (Chinese: UTF-8, GB18030, GBK) and K.
//
// Two modes (PS3.3 Tables C.12-2 to C.12-5):
// - Without code extensions ("ISO_IR 100", "ISO_IR 192", "GB18030", ...): one character set for the
//   whole value, decoded in one call.
// - With code extensions (any "ISO 2022 IR n" term): ISO 2022 escape sequences designate G0 and G1
//   code elements inside a value, and the state returns to the one of value 1 at every delimiter
//   (PS3.5 6.1.2.5.3): each value ("\"), each line (CR, LF, FF, TAB) and, in PN, each component
//   ("^") and component group ("="). The value is cut into runs between escapes and delimiters and
//   each run goes to the decoder of its code elements. Node's ICU TextDecoder provides the tables:
//   EUC-JP for JIS X 0208/0212 (the bytes with the high bit set), EUC-KR for KS X 1001, GBK for
//   GB 2312, Shift_JIS for JIS X 0201 katakana, ISO 8859-n and windows-874 for the single-byte sets.

import { TextDecoder } from 'node:util';

const ESC = 0x1b;

/** A G1 (upper half) single-byte set: ISO 8859 part or TIS 620, by its ISO-IR number. */
interface SingleByteSet {
  readonly kind: 'single-byte';
  /** WHATWG encoding label; 'latin1' is decoded natively (true ISO 8859-1, not windows-1252). */
  readonly label: string;
}

type G0 = 'ascii' | 'jis-x-0201-roman' | 'jis-x-0208' | 'jis-x-0212';
type G1 = SingleByteSet | 'none' | 'jis-x-0201-katakana' | 'ks-x-1001' | 'gb-2312';

interface CodeState {
  readonly g0: G0;
  readonly g1: G1;
}

// ISO-IR numbers of the single-byte sets of PS3.3 Table C.12-2/C.12-3, with their ISO 2022 final
// byte (ESC 2/13 F designates the 96-character set F as G1).
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

const SINGLE_BYTE_BY_FINAL = new Map<number, SingleByteSet>(
  Object.values(SINGLE_BYTE).map(({ label, final }) => [final, { kind: 'single-byte', label }]),
);

const decoders = new Map<string, TextDecoder>();

function decoder(label: string): TextDecoder {
  let found = decoders.get(label);
  if (!found) {
    found = new TextDecoder(label);
    decoders.set(label, found);
  }
  return found;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (Buffer.isBuffer(bytes)) return bytes.toString('latin1', start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function decodeWith(label: string, bytes: Uint8Array, start: number, end: number): string {
  if (label === 'latin1') return latin1(bytes, start, end);
  return decoder(label).decode(bytes.subarray(start, end));
}

/** Normalises the spellings seen in the field ("ISO-IR 100", "ISO_IR100", "utf-8") to PS3.3's. */
function normaliseTerm(term: string): string {
  const upper = term.trim().toUpperCase();
  const isoIr = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (isoIr) return `ISO_IR ${isoIr[1]}`;
  const iso2022 = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (iso2022) return `ISO 2022 IR ${iso2022[1]}`;
  if (upper === 'UTF-8' || upper === 'UTF8') return 'ISO_IR 192';
  return upper;
}

function initialState(term: string): CodeState {
  const number = /^ISO(?:_| 2022 )IR (\d+)$/.exec(term)?.[1];
  if (number === undefined || number === '6') return { g0: 'ascii', g1: 'none' };
  if (number === '13') return { g0: 'jis-x-0201-roman', g1: 'jis-x-0201-katakana' };
  if (number === '149') return { g0: 'ascii', g1: 'ks-x-1001' };
  if (number === '58') return { g0: 'ascii', g1: 'gb-2312' };
  const single = SINGLE_BYTE[number];
  if (single) return { g0: 'ascii', g1: { kind: 'single-byte', label: single.label } };
  // 87 and 159 are only valid as value 2+ (PS3.3 C.12.1.1.2): value 1 then means ASCII.
  return { g0: 'ascii', g1: 'none' };
}

// Decoder label for a value without code extensions, by its (normalised) defined term.
function standaloneLabel(term: string): string | undefined {
  if (term === '' || term === 'ISO_IR 6') return 'latin1';
  if (term === 'ISO_IR 192') return 'utf-8';
  if (term === 'GB18030') return 'gb18030';
  if (term === 'GBK') return 'gbk';
  if (term === 'ISO_IR 13') return 'shift_jis';
  const number = /^ISO_IR (\d+)$/.exec(term)?.[1];
  return number === undefined ? undefined : SINGLE_BYTE[number]?.label;
}

/** A Specific Character Set (0008,0005), ready to decode the text VRs (SH LO ST LT UT UC PN). */
export class CharacterSet {
  /** Defined terms as found (normalised spelling), value 1 first. */
  readonly terms: readonly string[];
  /** Terms this decoder does not know; their bytes decode as ISO 8859-1 so nothing is lost. */
  readonly unknownTerms: readonly string[];
  private readonly codeExtensions: boolean;
  private readonly label: string;
  private readonly initial: CodeState;

  constructor(terms: readonly string[]) {
    this.terms = terms.map(normaliseTerm);
    const first = this.terms[0] ?? '';
    const unknown: string[] = [];
    for (const term of this.terms) {
      if (standaloneLabel(term) === undefined && !/^ISO 2022 IR (\d+)$/.test(term)) unknown.push(term);
    }
    this.unknownTerms = unknown;
    // UTF-8, GB18030 and GBK cannot be combined with code extensions (PS3.3 Table C.12-5).
    const standalone = first === 'ISO_IR 192' || first === 'GB18030' || first === 'GBK';
    this.codeExtensions = !standalone && this.terms.some((term) => term.startsWith('ISO 2022'));
    this.label = standaloneLabel(first) ?? 'latin1';
    this.initial = initialState(first);
  }

  /**
   * Decodes bytes[start, end) of a text value. `personName` adds the PN delimiters "^" and "=" to
   * the points where ISO 2022 state returns to the initial one.
   */
  decode(bytes: Uint8Array, start: number, end: number, personName: boolean): string {
    if (!this.codeExtensions) return decodeWith(this.label, bytes, start, end);
    if (bytes.subarray(start, end).indexOf(ESC) < 0) return decodeRun(bytes, start, end, this.initial);
    return this.decodeIso2022(bytes, start, end, personName);
  }

  private decodeIso2022(bytes: Uint8Array, start: number, end: number, personName: boolean): string {
    let out = '';
    let state = this.initial;
    let runStart = start;
    let i = start;
    while (i < end) {
      const byte = bytes[i]!;
      if (byte === ESC) {
        out += decodeRun(bytes, runStart, i, state);
        const designation = readEscape(bytes, i, end, state);
        state = designation.state;
        i += designation.length;
        runStart = i;
        continue;
      }
      const multiByteG0 = state.g0 === 'jis-x-0208' || state.g0 === 'jis-x-0212';
      const resets = multiByteG0
        ? byte < 0x21 // a control character ends a two-byte run whatever the writer did
        : byte === 0x5c ||
          byte === 0x0d ||
          byte === 0x0a ||
          byte === 0x0c ||
          byte === 0x09 ||
          (personName && (byte === 0x5e || byte === 0x3d));
      if (resets) {
        out += decodeRun(bytes, runStart, i, state) + String.fromCharCode(byte);
        state = this.initial;
        runStart = i + 1;
      }
      i++;
    }
    return out + decodeRun(bytes, runStart, end, state);
  }
}

// Reads the escape sequence at bytes[at] (PS3.3 Tables C.12-3 and C.12-4). An unknown one is
// skipped byte by byte so the rest of the value still decodes.
function readEscape(
  bytes: Uint8Array,
  at: number,
  end: number,
  state: CodeState,
): { state: CodeState; length: number } {
  const b1 = at + 1 < end ? bytes[at + 1]! : -1;
  const b2 = at + 2 < end ? bytes[at + 2]! : -1;
  const b3 = at + 3 < end ? bytes[at + 3]! : -1;
  if (b1 === 0x28 && b2 === 0x42) return { state: { ...state, g0: 'ascii' }, length: 3 }; // ESC ( B: IR 6
  if (b1 === 0x28 && b2 === 0x4a) return { state: { ...state, g0: 'jis-x-0201-roman' }, length: 3 }; // ESC ( J: IR 14
  if (b1 === 0x29 && b2 === 0x49) return { state: { ...state, g1: 'jis-x-0201-katakana' }, length: 3 }; // ESC ) I: IR 13
  if (b1 === 0x2d) {
    const set = SINGLE_BYTE_BY_FINAL.get(b2); // ESC - F: a 96-character set as G1
    if (set) return { state: { ...state, g1: set }, length: 3 };
  }
  if (b1 === 0x24) {
    if (b2 === 0x42 || b2 === 0x40) return { state: { ...state, g0: 'jis-x-0208' }, length: 3 }; // ESC $ B: IR 87
    if (b2 === 0x28 && b3 === 0x44) return { state: { ...state, g0: 'jis-x-0212' }, length: 4 }; // ESC $ ( D: IR 159
    if (b2 === 0x29 && b3 === 0x43) return { state: { ...state, g1: 'ks-x-1001' }, length: 4 }; // ESC $ ) C: IR 149
    if (b2 === 0x29 && b3 === 0x41) return { state: { ...state, g1: 'gb-2312' }, length: 4 }; // ESC $ ) A: IR 58
  }
  return { state, length: 1 };
}

function decodeRun(bytes: Uint8Array, start: number, end: number, state: CodeState): string {
  if (start >= end) return '';
  if (state.g0 === 'jis-x-0208' || state.g0 === 'jis-x-0212') {
    // 94x94 sets invoked in G0 use bytes 21-7E; EUC-JP carries the same code points with the
    // high bit set, and JIS X 0212 behind the single shift 8E/8F prefix 0x8F.
    const supplementary = state.g0 === 'jis-x-0212';
    const euc = new Uint8Array(supplementary ? Math.ceil(((end - start) * 3) / 2) : end - start);
    let length = 0;
    for (let i = start; i < end; i++) {
      if (supplementary && (i - start) % 2 === 0) euc[length++] = 0x8f;
      euc[length++] = bytes[i]! | 0x80;
    }
    return decoder('euc-jp').decode(euc.subarray(0, length));
  }
  // Single-byte G0 (ASCII, or JIS X 0201 Roman which differs only at 5C and 7E and is read as
  // ASCII like other toolkits do): the G1 set decides the bytes with the high bit set.
  const g1 = state.g1;
  if (g1 === 'none') return latin1(bytes, start, end);
  if (g1 === 'jis-x-0201-katakana') return decodeWith('shift_jis', bytes, start, end);
  if (g1 === 'ks-x-1001') return decodeWith('euc-kr', bytes, start, end);
  if (g1 === 'gb-2312') return decodeWith('gbk', bytes, start, end);
  return decodeWith(g1.label, bytes, start, end);
}

const cache = new Map<string, CharacterSet>();

/** The character set of the given (0008,0005) values, cached: data sets share a handful of them. */
export function characterSetOf(terms: readonly string[]): CharacterSet {
  const key = terms.join('\\');
  let found = cache.get(key);
  if (!found) {
    found = new CharacterSet(terms);
    if (cache.size < 256) cache.set(key, found);
  }
  return found;
}

/** The default character repertoire (ISO-IR 6), used when (0008,0005) is absent or empty. */
export const DEFAULT_CHARACTER_SET = characterSetOf([]);
