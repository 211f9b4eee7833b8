/**
 * A data element tag as one unsigned 32-bit number, group in the high 16 bits: (0020,000D) is
 * 0x0020000D. Numbers compare in the order of PS3.5 7.1 (ascending group, then element) and key
 * Maps without allocation; the DICOM JSON form is the 8 uppercase hex digits (`formatTag`).
 */
export type Tag = number;

/** Builds a tag from its group and element numbers. */
export function makeTag(group: number, element: number): Tag {
  return ((group << 16) | element) >>> 0;
}

export function tagGroup(tag: Tag): number {
  return tag >>> 16;
}

export function tagElement(tag: Tag): number {
  return tag & 0xffff;
}

// Formatting is on the DICOM JSON hot path and data sets repeat the same few hundred tags.
const formatted = new Map<Tag, string>();

/** The DICOM JSON key of a tag (PS3.18 F.2.1.1): 8 uppercase hex digits, e.g. "0020000D". */
export function formatTag(tag: Tag): string {
  let text = formatted.get(tag);
  if (text === undefined) {
    text = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    if (formatted.size < 65536) formatted.set(tag, text);
  }
  return text;
}

const TAG_FORMS = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/;

/** Parses "0020000D", "(0020,000D)" or "0020,000D"; undefined for anything else. */
export function parseTag(text: string): Tag | undefined {
  const match = TAG_FORMS.exec(text);
  return match ? makeTag(parseInt(match[1]!, 16), parseInt(match[2]!, 16)) : undefined;
}

/** Private data elements live in odd groups (PS3.5 7.8.1), except the reserved 0001-0007 and FFFF. */
export function isPrivateTag(tag: Tag): boolean {
  const group = tag >>> 16;
  return (group & 1) === 1 && group > 0x0007 && group !== 0xffff;
}

/** (gggg,0010-00FF) of a private group: the Private Creator that reserves a block (PS3.5 7.8.1). */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = tag & 0xffff;
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

/** (gggg,0000): Group Length, retired outside groups 0000 and 0002 (PS3.5 7.2). */
export function isGroupLengthTag(tag: Tag): boolean {
  return (tag & 0xffff) === 0;
}

// Tags the parser itself needs; everything else goes through the dictionary by keyword.

/** (FFFE,E000) Item (PS3.5 7.5). */
export const ITEM_TAG: Tag = 0xfffee000;
/** (FFFE,E00D) Item Delimitation Item. */
export const ITEM_DELIMITATION_TAG: Tag = 0xfffee00d;
/** (FFFE,E0DD) Sequence Delimitation Item. */
export const SEQUENCE_DELIMITATION_TAG: Tag = 0xfffee0dd;
/** (7FE0,0010) Pixel Data. */
export const PIXEL_DATA_TAG: Tag = 0x7fe00010;
/** (7FE0,0008) Float Pixel Data. */
export const FLOAT_PIXEL_DATA_TAG: Tag = 0x7fe00008;
/** (7FE0,0009) Double Float Pixel Data. */
export const DOUBLE_FLOAT_PIXEL_DATA_TAG: Tag = 0x7fe00009;
/** (0008,0005) Specific Character Set. */
export const SPECIFIC_CHARACTER_SET_TAG: Tag = 0x00080005;
/** (0028,0103) Pixel Representation: resolves the "US or SS" VRs of implicit VR data sets. */
export const PIXEL_REPRESENTATION_TAG: Tag = 0x00280103;

/** Whether the tag holds pixel samples (PS3.3 C.7.6.3): always bulk data, never parsed. */
export function isPixelDataTag(tag: Tag): boolean {
  return tag === PIXEL_DATA_TAG || tag === FLOAT_PIXEL_DATA_TAG || tag === DOUBLE_FLOAT_PIXEL_DATA_TAG;
}
