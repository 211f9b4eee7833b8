import { isPixelDataTag, isValidUid, type Vr } from '@pacs/dicom';
import { resolveAttribute, type AttributeRef } from './attribute-ref';
import { aeTitleProblem } from './destination';
import { describeValue, type PathSegment, type ReportProblem } from './problems';

/**
 * Changes made to the forwarded copy (never to the archived instance). Attributes are named by
 * PS3.6 keyword (or 8 hex digits for a private tag in `remove`); `set` values are DICOM text, one
 * string per value, so a multi-valued attribute takes several.
 */
export interface RuleModification {
  readonly set?: Readonly<Record<string, readonly string[]>>;
  readonly remove?: readonly string[];
}

type Json = Readonly<Record<string, unknown>>;

// Attributes no rule may change, and why. Keyed by keyword; groups 0000 and 0002 and the pixel
// data elements are refused by tag below.
const PROTECTED: ReadonlyMap<string, string> = new Map([
  ...['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'].map(
    (keyword) =>
      [
        keyword,
        'it is part of the identity of the object (PS3.3 C.12.1, C.7.2.1, C.7.3.1): a copy under another UID is another object, and a resent copy could no longer be recognised as the same',
      ] as const,
  ),
  ['SOPClassUID', 'it decides the IOD of the instance and the presentation context it is sent in (PS3.4 B.2)'],
  [
    'TransferSyntaxUID',
    'it is file meta information (PS3.10 7.1): the sender chooses the transfer syntax per destination',
  ],
  [
    'SpecificCharacterSet',
    'it says how every text value is encoded (PS3.5 6.1.2.3): the sender sets it when it re-encodes',
  ],
]);

/** Why an attribute may not be set or removed by a rule, or undefined. */
export function protectedReason(ref: AttributeRef): string | undefined {
  const reason = PROTECTED.get(ref.name);
  if (reason) return reason;
  const group = ref.tag >>> 16;
  if (group === 0x0000) return 'command elements (PS3.7 E) are not part of the data set';
  if (group === 0x0002) return 'file meta information (PS3.10 7.1) is written by the sender';
  if (isPixelDataTag(ref.tag)) return 'pixel data is bulk data that a rule cannot rewrite';
  return undefined;
}

// Text VRs a rule can write (PS3.5 6.2), with their maximum length where PS3.5 gives one.
const MAX_LENGTH: ReadonlyMap<Vr, number | undefined> = new Map<Vr, number | undefined>([
  ['AE', 16],
  ['AS', 4],
  ['CS', 16],
  ['DA', 8],
  ['DS', 16],
  ['DT', 26],
  ['IS', 12],
  ['LO', 64],
  ['LT', 10240],
  ['PN', undefined], // 64 per component group, checked below
  ['SH', 16],
  ['ST', 1024],
  ['TM', 14],
  ['UC', undefined],
  ['UI', 64],
  ['UR', undefined],
  ['UT', undefined],
]);
// VRs whose value may hold a backslash: they are single-valued (PS3.5 6.4).
const BACKSLASH_VRS: ReadonlySet<Vr> = new Set(['LT', 'ST', 'UT']);
const CS_CHARACTERS = /^[A-Z0-9 _]*$/;
const IS_FORM = /^ *[+-]?\d+ *$/;
const DS_FORM = /^ *[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)? *$/;

/** Why `value` is no valid value of VR `vr` (PS3.5 6.2), or undefined. Empty values are valid. */
function valueProblem(vr: Vr, value: string): string | undefined {
  if (value === '') return undefined;
  const max = MAX_LENGTH.get(vr);
  if (max !== undefined && value.length > max)
    return `a ${vr} value has at most ${max} characters, not ${value.length}`;
  if (value.includes('\\') && !BACKSLASH_VRS.has(vr)) {
    return 'a backslash separates values in DICOM: give several values as an array';
  }
  if (vr === 'PN' && value.split('=').some((group) => group.length > 64)) {
    return 'a PN component group has at most 64 characters';
  }
  if (vr === 'CS' && !CS_CHARACTERS.test(value)) return 'a CS value holds only A-Z, 0-9, space and "_"';
  if (vr === 'UI' && !isValidUid(value)) return 'not a valid UID (PS3.5 9.1)';
  if (vr === 'IS' && !IS_FORM.test(value)) return 'not an integer string (IS)';
  if (vr === 'DS' && !DS_FORM.test(value)) return 'not a decimal string (DS)';
  if (vr === 'AE') return aeTitleProblem(value);
  return undefined;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads a rule's `modify`, reporting every problem at its path below `path`: unknown keyword,
 * protected attribute (with the reason), a value its VR cannot hold, several values for a VM 1
 * attribute, an attribute both set and removed. Undefined when absent or when anything was reported.
 */
export function readModification(
  input: unknown,
  path: readonly PathSegment[],
  report: ReportProblem,
): RuleModification | undefined {
  if (input === undefined) return undefined;
  if (!isObject(input) || (!Object.hasOwn(input, 'set') && !Object.hasOwn(input, 'remove'))) {
    report(path, `expected an object with set and/or remove (got ${describeValue(input)})`);
    return undefined;
  }
  for (const key of Object.keys(input)) if (key !== 'set' && key !== 'remove') report([...path, key], 'unknown field');
  let valid = true;
  const fail = (where: readonly PathSegment[], message: string) => {
    report(where, message);
    valid = false;
  };

  const set: Record<string, readonly string[]> = {};
  if (Object.hasOwn(input, 'set')) {
    const entries = input['set'];
    if (!isObject(entries) || Object.keys(entries).length === 0) {
      fail([...path, 'set'], `expected an object of keywords to values (got ${describeValue(entries)})`);
    } else {
      for (const [key, raw] of Object.entries(entries)) {
        const where = [...path, 'set', key];
        const ref = writableAttribute(key, where, fail);
        if (!ref) continue;
        const vr = ref.entry?.vr;
        if (vr === undefined || !MAX_LENGTH.has(vr)) {
          fail(where, `${ref.name} has VR ${vr ?? 'unknown (private tag)'}: set writes text VRs only`);
          continue;
        }
        if (set[ref.name] !== undefined) {
          fail(where, `${ref.name} is set twice`);
          continue;
        }
        const values = readValues(raw, vr, ref, where, fail);
        if (values) set[ref.name] = values;
      }
    }
  }

  const remove: string[] = [];
  if (Object.hasOwn(input, 'remove')) {
    const list = input['remove'];
    if (!Array.isArray(list) || list.length === 0) {
      fail([...path, 'remove'], `expected a non-empty array of keywords (got ${describeValue(list)})`);
    } else {
      (list as unknown[]).forEach((key, index) => {
        const where = [...path, 'remove', index];
        if (typeof key !== 'string') return fail(where, `expected a keyword (got ${describeValue(key)})`);
        const ref = writableAttribute(key, where, fail);
        if (!ref) return;
        if (remove.includes(ref.name)) return fail(where, `${ref.name} is listed twice`);
        if (set[ref.name] !== undefined) return fail(where, `${ref.name} is both set and removed`);
        remove.push(ref.name);
      });
    }
  }
  if (!valid) return undefined;
  return {
    ...(Object.keys(set).length > 0 ? { set } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}

function writableAttribute(
  key: string,
  where: readonly PathSegment[],
  fail: (where: readonly PathSegment[], message: string) => void,
): AttributeRef | undefined {
  const ref = resolveAttribute(key);
  if (typeof ref === 'string') {
    fail(where, ref);
    return undefined;
  }
  const reason = protectedReason(ref);
  if (reason) {
    fail(where, `${ref.name} cannot be modified: ${reason}`);
    return undefined;
  }
  return ref;
}

function readValues(
  raw: unknown,
  vr: Vr,
  ref: AttributeRef,
  where: readonly PathSegment[],
  fail: (where: readonly PathSegment[], message: string) => void,
): string[] | undefined {
  const values = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
    fail(where, `expected a string or a non-empty array of strings (got ${describeValue(raw)})`);
    return undefined;
  }
  if (values.length > 1 && ref.entry?.vm === '1') {
    fail(where, `${ref.name} holds one value (VM 1, PS3.6) (got ${values.length})`);
    return undefined;
  }
  let valid = true;
  values.forEach((value: string, index) => {
    const problem = valueProblem(vr, value);
    if (!problem) return;
    fail(typeof raw === 'string' ? where : [...where, index], `${problem} (got ${describeValue(value)})`);
    valid = false;
  });
  return valid ? (values as string[]) : undefined;
}

/**
 * The modification of a copy that several rules send to one destination: the rules' changes
 * taken in the order given (priority order), each attribute decided by the first rule that sets
 * or removes it; a later rule never overrides an earlier one. Undefined when no rule changes
 * anything.
 */
export function mergeModifications(
  modifications: readonly (RuleModification | undefined)[],
): RuleModification | undefined {
  const set: Record<string, readonly string[]> = {};
  const remove: string[] = [];
  const decided = new Set<string>();
  for (const modification of modifications) {
    for (const [name, values] of Object.entries(modification?.set ?? {})) {
      if (decided.has(name)) continue;
      decided.add(name);
      set[name] = values;
    }
    for (const name of modification?.remove ?? []) {
      if (decided.has(name)) continue;
      decided.add(name);
      remove.push(name);
    }
  }
  if (decided.size === 0) return undefined;
  return {
    ...(Object.keys(set).length > 0 ? { set } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}
