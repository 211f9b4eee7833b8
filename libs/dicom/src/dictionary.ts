import { DICTIONARY_TABLE } from './dictionary.data';
import { isGroupLengthTag, isPrivateCreatorTag, isPrivateTag, makeTag, parseTag, type Tag } from './tag';
import type { Vr } from './vr';

/** One attribute of the standard data dictionary (PS3.6). */
export interface DictionaryEntry {
  readonly tag: Tag;
  /** PS3.6 keyword; empty for the few retired attributes that have none. */
  readonly keyword: string;
  /**
   * The VR to read the value with when the encoding does not say (implicit VR). Where PS3.6 allows
   * several, the one PS3.5 prescribes for implicit VR: OW for "OB or OW" (A.1), US for "US or SS"
   * unless Pixel Representation says signed (resolved by the parser), UL for offsets.
   */
  readonly vr: Vr;
  /** All VRs PS3.6 allows, e.g. ['US', 'SS']; one element for most attributes. */
  readonly vrs: readonly Vr[];
  /** Value multiplicity as PS3.6 writes it: "1", "1-n", "2-2n", ... */
  readonly vm: string;
  readonly retired: boolean;
}

// PS3.6 shorthand for attributes with several VRs, as the generated table carries it.
const AMBIGUOUS_VRS: Readonly<Record<string, readonly Vr[]>> = {
  ox: ['OW', 'OB'],
  xs: ['US', 'SS'],
  lt: ['OW', 'US', 'SS'],
  up: ['UL'],
  na: ['UN'],
};

let byTag: Map<Tag, DictionaryEntry> | undefined;
let byKeyword: Map<string, DictionaryEntry> | undefined;

// One shared array per VR: ~5000 entries, a handful of distinct VR lists.
const VR_LISTS = new Map<string, readonly Vr[]>(Object.entries(AMBIGUOUS_VRS));

// Parsed on first use (a few ms for ~5000 lines, once per process).
function load(): void {
  const tags = new Map<Tag, DictionaryEntry>();
  const keywords = new Map<string, DictionaryEntry>();
  const table = DICTIONARY_TABLE;
  let start = table.indexOf('\n') + 1;
  while (start < table.length) {
    let end = table.indexOf('\n', start);
    if (end < 0) end = table.length;
    // "GGGGEEEE VR VM Keyword[ R]"
    const vrEnd = table.indexOf(' ', start + 9);
    const vmEnd = table.indexOf(' ', vrEnd + 1);
    let keywordEnd = table.indexOf(' ', vmEnd + 1);
    if (keywordEnd < 0 || keywordEnd > end) keywordEnd = end;
    if (end > start) {
      const vrText = table.slice(start + 9, vrEnd);
      let vrs = VR_LISTS.get(vrText);
      if (!vrs) {
        vrs = [vrText as Vr];
        VR_LISTS.set(vrText, vrs);
      }
      const keywordText = table.slice(vmEnd + 1, keywordEnd);
      const entry: DictionaryEntry = {
        tag: parseInt(table.slice(start, start + 8), 16) >>> 0,
        keyword: keywordText === '-' ? '' : keywordText,
        vr: vrs[0]!,
        vrs,
        vm: table.slice(vrEnd + 1, vmEnd),
        retired: keywordEnd < end,
      };
      tags.set(entry.tag, entry);
      if (entry.keyword && !keywords.has(entry.keyword)) keywords.set(entry.keyword, entry);
    }
    start = end + 1;
  }
  byTag = tags;
  byKeyword = keywords;
}

function tagMap(): Map<Tag, DictionaryEntry> {
  if (!byTag) load();
  return byTag!;
}

function keywordMap(): Map<string, DictionaryEntry> {
  if (!byKeyword) load();
  return byKeyword!;
}

/**
 * The dictionary entry of a standard tag, or undefined for private and unknown tags.
 * Repeating groups (50xx curves, 60xx overlays, 7Fxx variable pixel data; PS3.5 7.6) and the
 * repeating elements (0020,31xx) resolve to their base entry.
 */
export function entryOf(tag: Tag): DictionaryEntry | undefined {
  const tags = tagMap();
  const exact = tags.get(tag);
  if (exact || isPrivateTag(tag)) return exact;
  const group = tag >>> 16;
  const element = tag & 0xffff;
  const repeatingBase = group & 0xff00;
  if ((repeatingBase === 0x5000 || repeatingBase === 0x6000 || repeatingBase === 0x7f00) && (group & 1) === 0) {
    return tags.get(makeTag(repeatingBase, element));
  }
  if (group === 0x0020 && (element & 0xff00) === 0x3100) return tags.get(makeTag(0x0020, 0x3100));
  return undefined;
}

/** The dictionary entry of a keyword, or undefined when PS3.6 has no such keyword. */
export function entryOfKeyword(keyword: string): DictionaryEntry | undefined {
  return keywordMap().get(keyword);
}

/**
 * The tag of a keyword: `tagOf('StudyInstanceUID') === 0x0020000D`. Also accepts a tag written
 * as hex ("0020000D", "(0020,000D)"). Throws for an unknown keyword: keywords are written in code
 * and configuration, where a typo must fail at start-up, not match nothing.
 */
export function tagOf(keywordOrHex: string): Tag {
  const entry = keywordMap().get(keywordOrHex);
  if (entry) return entry.tag;
  const parsed = parseTag(keywordOrHex);
  if (parsed !== undefined) return parsed;
  throw new RangeError(`"${keywordOrHex}" is not a DICOM keyword (PS3.6) nor a tag`);
}

/** The keyword of a tag, or undefined for private, unknown and keyword-less tags. */
export function keywordOf(tag: Tag): string | undefined {
  const keyword = entryOf(tag)?.keyword;
  return keyword ? keyword : undefined;
}

/**
 * The VR of a tag when the encoding does not carry one (implicit VR, PS3.5 A.1): the dictionary
 * VR for standard tags; UL for group lengths; LO for private creators (PS3.5 7.8.1); UN for other
 * private and unknown tags, whose bytes are kept as they are.
 */
export function vrOf(tag: Tag): Vr {
  const entry = entryOf(tag);
  if (entry) return entry.vr;
  if (isGroupLengthTag(tag)) return 'UL';
  if (isPrivateCreatorTag(tag)) return 'LO';
  return 'UN';
}
