import {
  entryOf,
  entryOfKeyword,
  formatTag,
  isBinaryVr,
  keywordOf,
  tagOf,
  type DictionaryEntry,
  type Tag,
} from '@pacs/dicom';
import { describeValue } from './problems';

/** An attribute a rule names: its tag, and the name rules keep for it. */
export interface AttributeRef {
  readonly tag: Tag;
  /** The PS3.6 keyword when the tag has one, else the 8 uppercase hex digits (PS3.18 F.2.1.1). */
  readonly name: string;
  /** The dictionary entry; undefined for private and unknown tags. */
  readonly entry: DictionaryEntry | undefined;
}

const HEX_TAG = /^[0-9A-Fa-f]{8}$/;

/** The attribute a keyword or 8-hex-digit tag names, or why it names none (a problem message). */
export function resolveAttribute(text: string): AttributeRef | string {
  if (HEX_TAG.test(text)) {
    const tag = parseInt(text, 16) >>> 0;
    const keyword = keywordOf(tag);
    // Repeating groups (60xx) share their base keyword: only an exact keyword names the tag.
    const name = keyword !== undefined && tagOf(keyword) === tag ? keyword : formatTag(tag);
    return { tag, name, entry: entryOf(tag) };
  }
  const entry = entryOfKeyword(text);
  if (entry) return { tag: entry.tag, name: entry.keyword, entry };
  return `unknown DICOM keyword ${describeValue(text)}: expected a PS3.6 keyword such as "Modality" or 8 hex digits such as "00080060"`;
}

/**
 * Why an attribute cannot be compared with a value, or undefined: a sequence (SQ) or binary data
 * have no text to match; `present` still applies to them. Private tags, whose VR the dictionary
 * does not know, are allowed.
 */
export function valueMatchProblem(ref: AttributeRef): string | undefined {
  const vrs = ref.entry?.vrs;
  if (vrs === undefined) return undefined;
  if (vrs.every((vr) => vr === 'SQ')) return `${ref.name} is a sequence (SQ): only "present" applies to it`;
  if (vrs.every(isBinaryVr)) return `${ref.name} is binary (${vrs.join(' or ')}): only "present" applies to it`;
  return undefined;
}
