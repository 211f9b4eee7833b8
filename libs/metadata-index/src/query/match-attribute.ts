import { formatTag, type DicomJsonAttribute, type DicomJsonDataset, type DicomJsonValue } from '@pacs/dicom';
import type { AttributeMatch } from './attribute-match';
import type { QueryKey } from './parse-qido-query';
import { dateInterval, dateTimeInterval, timeInterval, type Interval } from './temporal';

export interface MatchOptions {
  /** QIDO-RS `fuzzymatching=true`: person names match component-wise, ignoring case and accents. */
  readonly fuzzy?: boolean;
}

/**
 * Whether a stored attribute (DICOM JSON, absent when the record lacks it) satisfies a match: the
 * reference semantics of the metadata index, which every adapter's queries must agree with (the
 * contract suite checks them against this).
 *
 * - A multi-valued attribute matches when one of its values does.
 * - Text matches exactly and case-sensitively, except person names (PN): case-insensitively, in any
 *   of their groups (alphabetic, ideographic, phonetic), or group by group when the query has `=`
 *   (PS3.4 C.2.2.2.1 lets PN matching ignore case).
 * - With `fuzzy`, a person name also ignores accents and matches component by component, each
 *   query component as the start of the stored one; a query of one word may match any component.
 * - Numbers (IS, DS, ...) match by numeric value ("007" is 7): PS3.4 C.2.2.2.1 leaves it to the
 *   implementation.
 * - DA, TM, DT match when the stored value's interval meets the queried range.
 * - A sequence matches when one of its items matches every Item Key Attribute (PS3.4 C.2.2.2.6).
 * Combined date-time matching reads two attributes: matchKey evaluates it (a TypeError here).
 */
export function matchAttribute(
  match: AttributeMatch,
  attribute: DicomJsonAttribute | undefined,
  options: MatchOptions = {},
): boolean {
  if (match.kind === 'universal') return true;
  if (match.kind === 'date-time') throw new TypeError('combined date-time matching reads the record: use matchKey');
  if (match.kind === 'sequence') {
    return isUniversalSequence(match) || matchingItems(match, attribute, options).length > 0;
  }
  const values = (attribute?.Value ?? []).filter(isPresent);
  if (match.kind === 'empty') return values.length === 0;
  if (values.length === 0) return false;
  const vr = attribute!.vr;
  if (match.kind === 'range') return values.some((value) => inRange(match, String(value)));
  if (vr === 'PN') {
    const names = values.filter((v): v is PersonName => typeof v === 'object' && v !== null);
    if (match.kind === 'any-of')
      return match.values.some((one) => names.some((name) => personNameMatches(one, name, options)));
    // A single value holds no `*` or `?` (parseAttributeMatch made it a wildcard match then).
    const query = match.kind === 'single' ? match.value : match.pattern;
    return names.some((name) => personNameMatches(query, name, options));
  }
  const numeric = typeof values[0] === 'number' || ['IS', 'DS'].includes(vr);
  const equals = (wanted: string, value: DicomJsonValue) =>
    numeric ? Number(wanted) === Number(value) : wanted === String(value).replace(/ +$/, '');
  if (match.kind === 'single') return values.some((value) => equals(match.value, value));
  if (match.kind === 'any-of') return values.some((value) => match.values.some((wanted) => equals(wanted, value)));
  const pattern = wildcardRegExp(match.pattern, '');
  return values.some((value) => pattern.test(String(value).replace(/ +$/, '')));
}

/**
 * Whether a record (a DICOM JSON data set, or an item of a sequence) satisfies a key: matchAttribute
 * on the key's attribute, and combined date-time matching on the date and its partner time.
 */
export function matchKey(key: QueryKey, record: DicomJsonDataset, options: MatchOptions = {}): boolean {
  const attribute = record[formatTag(key.tag)];
  if (key.match.kind !== 'date-time') return matchAttribute(key.match, attribute, options);
  return dateTimeMatches(key.match, attribute, record[formatTag(key.match.time)]);
}

/**
 * The items of a stored sequence that match every Item Key Attribute of a sequence match, in
 * their order: what a response returns of the sequence (PS3.4 C.2.2.2.6). Every item when the
 * match is universal (no item key, or universal ones only).
 */
export function matchingItems(
  match: Extract<AttributeMatch, { kind: 'sequence' }>,
  attribute: DicomJsonAttribute | undefined,
  options: MatchOptions = {},
): DicomJsonDataset[] {
  if (attribute?.vr !== 'SQ') return [];
  const items = (attribute.Value ?? []).filter(
    (item): item is DicomJsonDataset => typeof item === 'object' && item !== null,
  );
  if (isUniversalSequence(match)) return items;
  return items.filter((item) => match.items.every((key) => matchKey(key, item, options)));
}

function isUniversalSequence(match: Extract<AttributeMatch, { kind: 'sequence' }>): boolean {
  return match.items.every((key) => key.match.kind === 'universal');
}

/**
 * Combined datetime matching (PS3.4 C.2.2.2.5): each stored date with the stored time (its whole
 * day when the time is absent or not a TM) as one interval, which must meet the range.
 */
function dateTimeMatches(
  match: Extract<AttributeMatch, { kind: 'date-time' }>,
  date: DicomJsonAttribute | undefined,
  time: DicomJsonAttribute | undefined,
): boolean {
  const dates = texts(date).filter((value) => dateInterval(value) !== undefined);
  const times = texts(time).filter((value) => timeInterval(value) !== undefined);
  const low = match.from === undefined ? undefined : dateTimeInterval(match.from)?.low;
  const high = match.to === undefined ? undefined : dateTimeInterval(match.to)?.high;
  return dates.some((day) =>
    (times.length > 0 ? times : ['']).some((clock) => {
      const interval = dateTimeInterval(day.trim() + clock.trim());
      return (
        interval !== undefined &&
        (low === undefined || interval.high >= low) &&
        (high === undefined || interval.low <= high)
      );
    }),
  );
}

function texts(attribute: DicomJsonAttribute | undefined): string[] {
  return (attribute?.Value ?? []).filter((value): value is string => typeof value === 'string' && value !== '');
}

type PersonName = { Alphabetic?: string; Ideographic?: string; Phonetic?: string };

function isPresent(value: DicomJsonValue): boolean {
  return value !== null && value !== '';
}

function inRange(match: Extract<AttributeMatch, { kind: 'range' }>, value: string): boolean {
  const interval = intervalOf(match.vr, value);
  if (!interval) return false;
  const low = match.from === undefined ? undefined : intervalOf(match.vr, match.from)?.low;
  const high = match.to === undefined ? undefined : intervalOf(match.vr, match.to)?.high;
  return (low === undefined || interval.high >= low) && (high === undefined || interval.low <= high);
}

function intervalOf(vr: 'DA' | 'TM' | 'DT', value: string): Interval | undefined {
  return vr === 'DA' ? dateInterval(value) : vr === 'TM' ? timeInterval(value) : dateTimeInterval(value);
}

const GROUPS = ['Alphabetic', 'Ideographic', 'Phonetic'] as const;

function personNameMatches(query: string, name: PersonName, options: MatchOptions): boolean {
  const queryGroups = query.split('=');
  if (queryGroups.length > 1) {
    // Group by group: each group the query gives must match the same group of the name.
    return queryGroups.every((group, index) => {
      if (group === '' || group === '*') return true;
      const stored = name[GROUPS[index]!];
      return stored !== undefined && nameGroupMatches(group, stored, options);
    });
  }
  return GROUPS.some((group) => name[group] !== undefined && nameGroupMatches(query, name[group]!, options));
}

function nameGroupMatches(query: string, stored: string, options: MatchOptions): boolean {
  if (!options.fuzzy) return wildcardRegExp(query, 'iu').test(stored);
  const queryParts = fold(query).split('^');
  const storedParts = fold(stored).split('^');
  if (queryParts.length === 1) {
    // One word: it may be the start of any component (family or given name, ...).
    const word = wildcardRegExp(`${queryParts[0]}*`, 'u');
    return storedParts.some((part) => word.test(part));
  }
  return queryParts.every(
    (part, index) => part === '' || wildcardRegExp(`${part}*`, 'u').test(storedParts[index] ?? ''),
  );
}

/**
 * Lower case, accents and other combining marks removed, spaces collapsed. The final sigma is a
 * sigma: lowering "ΣΣ" at the end of a word gives "σς", which a typed "σ" must match.
 */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ς/g, 'σ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `*` and `?` as wildcards over the whole value; everything else literal. */
function wildcardRegExp(pattern: string, flags: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, flags.includes('u') ? flags : `${flags}u`);
}
