import { isValidUid, type Vr } from '@pacs/dicom';
import type { AttributeMatch } from './attribute-match';
import { QueryError } from './query.errors';
import { isValidDa, isValidDt, isValidTm } from './temporal';

/** Where the value comes from: QIDO-RS also separates list values with commas (PS3.18 8.3.4.1). */
export type QuerySyntax = 'dimse' | 'qido';

// Wild Card Matching applies to these VRs (PS3.4 C.2.2.2.4).
const WILDCARD_VRS: ReadonlySet<Vr> = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const NUMERIC_VRS: ReadonlySet<Vr> = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);
const NOT_MATCHABLE_VRS: ReadonlySet<Vr> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
// Values of these VRs never contain a comma, so QIDO-RS lists may use it as a separator.
const COMMA_LIST_VRS: ReadonlySet<Vr> = new Set(['UI', 'CS', 'AE']);

/**
 * Reads the value of a Key Attribute (a C-FIND identifier element, or a QIDO-RS query parameter)
 * as the kind of matching PS3.4 C.2.2.2 gives it for its VR. Fails with a QueryError that names
 * `key` and says what is wrong.
 */
export function parseAttributeMatch(key: string, vr: Vr, raw: string, syntax: QuerySyntax): AttributeMatch {
  if (NOT_MATCHABLE_VRS.has(vr)) throw new QueryError(key, `attributes of VR ${vr} cannot be matched`);
  if (vr === 'SQ') {
    if (raw === '') return { kind: 'universal' };
    // Sequence Matching (PS3.4 C.2.2.2.6) goes by the attributes of the key's item: a QIDO-RS
    // path (parseQidoQuery), or the item of a C-FIND identifier.
    throw new QueryError(key, 'a sequence is matched by the attributes of its item, not by a value');
  }
  // Leading and trailing spaces are padding, except that leading ones count in LT, ST, UT, UC.
  const value = ['LT', 'ST', 'UT', 'UC'].includes(vr) ? raw.replace(/ +$/, '') : raw.trim();
  if (value === '') return { kind: 'universal' };
  if (value === '""') return { kind: 'empty' };
  const values = splitValues(value, vr, syntax);

  if (vr === 'UI') {
    for (const uid of values) {
      if (!isValidUid(uid)) throw new QueryError(key, `"${uid}" is not a UID (digits and dots, at most 64 characters)`);
    }
    return values.length === 1 ? { kind: 'single', value: values[0]! } : { kind: 'any-of', values };
  }
  if (vr === 'DA' || vr === 'TM' || vr === 'DT') {
    if (values.length > 1) throw new QueryError(key, `a ${vr} key takes one value or one range, not a list`);
    return parseRange(key, vr, value);
  }
  if (NUMERIC_VRS.has(vr)) {
    for (const number of values) {
      if (number === '' || !Number.isFinite(Number(number))) throw new QueryError(key, `"${number}" is not a number`);
    }
    return values.length === 1 ? { kind: 'single', value: values[0]! } : { kind: 'any-of', values };
  }
  const wild = values.some((v) => v.includes('*') || v.includes('?'));
  if (wild && !WILDCARD_VRS.has(vr)) throw new QueryError(key, `wildcards do not apply to VR ${vr}`);
  if (values.length > 1) {
    if (wild) throw new QueryError(key, 'a list of values cannot hold wildcards');
    return { kind: 'any-of', values };
  }
  if (wild) return /^\*+$/.test(value) ? { kind: 'universal' } : { kind: 'wildcard', pattern: value };
  return { kind: 'single', value };
}

function splitValues(value: string, vr: Vr, syntax: QuerySyntax): string[] {
  const separator = syntax === 'qido' && COMMA_LIST_VRS.has(vr) ? /[\\,]/ : /\\/;
  return value.split(separator).map((v) => v.trim());
}

/** C.2.2.2.5: `a-b`, `a-`, `-b`, or one value (a range over its precision). */
function parseRange(key: string, vr: 'DA' | 'TM' | 'DT', value: string): AttributeMatch {
  const valid = vr === 'DA' ? isValidDa : vr === 'TM' ? isValidTm : isValidDt;
  const what = {
    DA: 'a date (YYYYMMDD)',
    TM: 'a time (HHMMSS.FFFFFF)',
    DT: 'a date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX)',
  }[vr];
  if (valid(value)) return { kind: 'range', vr, from: value, to: value };
  // A DT may hold a '-' of its own (a negative UTC offset): the one split where both sides are
  // valid (or empty) is the range.
  const splits: { from: string; to: string }[] = [];
  for (let at = value.indexOf('-'); at >= 0; at = value.indexOf('-', at + 1)) {
    const from = value.slice(0, at);
    const to = value.slice(at + 1);
    if ((from === '' || valid(from)) && (to === '' || valid(to)) && (from !== '' || to !== ''))
      splits.push({ from, to });
  }
  if (splits.length !== 1) {
    throw new QueryError(key, `"${value}" is neither ${what} nor a range of them (from-to, from-, -to)`);
  }
  const { from, to } = splits[0]!;
  return { kind: 'range', vr, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
