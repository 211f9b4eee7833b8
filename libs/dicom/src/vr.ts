/** The Value Representations of PS3.5 Table 6.2-1. */
// prettier-ignore
export const VRS = [
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV',
  'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
] as const;

export type Vr = (typeof VRS)[number];

const VR_SET: ReadonlySet<string> = new Set(VRS);

export function isVr(text: string): text is Vr {
  return VR_SET.has(text);
}

/**
 * VRs whose explicit encoding has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2, Table 7.1-1);
 * all others have a 16-bit length.
 */
// prettier-ignore
const LONG_LENGTH_VRS: ReadonlySet<string> = new Set([
  'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV',
]);

export function hasLongLength(vr: Vr): boolean {
  return LONG_LENGTH_VRS.has(vr);
}

/** Explicit VR field (two ASCII letters, first in the high byte) to VR, for the parser's hot path. */
export const VR_BY_CODE: ReadonlyMap<number, Vr> = new Map(
  VRS.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]),
);

/** Binary VRs with no structure a client reads: InlineBinary or BulkDataURI in DICOM JSON (PS3.18 F.2.7). */
const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

export function isBinaryVr(vr: Vr): boolean {
  return BINARY_VRS.has(vr);
}

/** Character string VRs (PS3.5 6.2): decoded as text, padded with spaces (UI: NUL). */
// prettier-ignore
const STRING_VRS: ReadonlySet<string> = new Set([
  'AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT',
]);

export function isStringVr(vr: Vr): boolean {
  return STRING_VRS.has(vr);
}

/**
 * VRs whose characters follow the Specific Character Set (PS3.5 6.1.2.3); all other string VRs
 * use the default repertoire only.
 */
const TEXT_VRS: ReadonlySet<string> = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

export function isTextVr(vr: Vr): boolean {
  return TEXT_VRS.has(vr);
}

/** String VRs with exactly one value: a backslash in them is text, not a delimiter (PS3.5 6.4). */
const SINGLE_VALUED_VRS: ReadonlySet<string> = new Set(['LT', 'ST', 'UR', 'UT']);

export function isSingleValuedVr(vr: Vr): boolean {
  return SINGLE_VALUED_VRS.has(vr);
}

/**
 * String VRs where leading spaces are significant (PS3.5 Table 6.2-1): only trailing padding is
 * dropped. For all other string VRs leading and trailing spaces are insignificant.
 */
const LEADING_SPACE_SIGNIFICANT_VRS: ReadonlySet<string> = new Set(['LT', 'ST', 'UC', 'UR', 'UT']);

export function keepsLeadingSpaces(vr: Vr): boolean {
  return LEADING_SPACE_SIGNIFICANT_VRS.has(vr);
}

/** Size in bytes of one value of a fixed-size binary VR, or 0 for the others. */
export function binaryValueSize(vr: Vr): number {
  switch (vr) {
    case 'US':
    case 'SS':
    case 'OW':
      return 2;
    case 'UL':
    case 'SL':
    case 'FL':
    case 'OF':
    case 'OL':
    case 'AT':
      return 4;
    case 'FD':
    case 'OD':
    case 'SV':
    case 'UV':
    case 'OV':
      return 8;
    default:
      return 0;
  }
}
