import { entryOfKeyword, type Tag } from '@pacs/dicom';
import type { AttributeMatch } from './attribute-match';
import type { QueryKey } from './parse-qido-query';

type Range = Extract<AttributeMatch, { kind: 'range' }>;

/** The form of a range (PS3.4 C.2.2.2.5): `a-b`, `a-`, `-b`, or one value (equal bounds). */
type RangeForm = 'closed' | 'from' | 'to' | 'value';

/**
 * The keys with combined datetime matching (PS3.4 C.2.2.2.5): a DA key and its TM partner
 * (StudyDate and StudyTime, SeriesDate and SeriesTime, ContentDate and ContentTime: the keyword
 * with `Time` for `Date`) that are both ranges of the same form (`a-b` with `c-d`, `a-` with `c-`,
 * `-b` with `-d`) match as one DT range of the concatenated bounds:
 * `StudyDate=20200101-20200102&StudyTime=2200-0200` is from 2020-01-01 22:00 to 2020-01-02
 * 02:00:59.999999. The DA key becomes a `date-time` match and the TM key a return key (universal);
 * the keys keep their order. A single value is not a range form (a range with equal bounds counts
 * as one): with it, each key matches on its own, as without the pair.
 *
 * For C-FIND this is an extended negotiation option (PS3.4 C.4.1.2.3.1), which this PACS does not
 * accept: DIMSE keeps separate matching. QIDO-RS applies it (parseQidoQuery).
 */
export function combineDateTimeKeys(keys: readonly QueryKey[]): QueryKey[] {
  const combined = [...keys];
  keys.forEach((dateKey, index) => {
    if (dateKey.vr !== 'DA' || dateKey.match.kind !== 'range') return;
    const partner = partnerTime(dateKey);
    if (partner === undefined) return;
    const timeIndex = keys.findIndex((key) => key.tag === partner && key.vr === 'TM' && key.match.kind === 'range');
    if (timeIndex < 0) return;
    const date = dateKey.match;
    const time = keys[timeIndex]!.match as Range;
    const form = formOf(date);
    if (form === 'value' || form !== formOf(time)) return;
    combined[index] = {
      ...dateKey,
      match: {
        kind: 'date-time',
        time: partner,
        ...(date.from !== undefined ? { from: date.from + time.from } : {}),
        ...(date.to !== undefined ? { to: date.to + time.to } : {}),
      },
    };
    combined[timeIndex] = { ...keys[timeIndex]!, match: { kind: 'universal' } };
  });
  return combined;
}

function formOf(range: Range): RangeForm {
  if (range.from !== undefined && range.to !== undefined) return range.from === range.to ? 'value' : 'closed';
  return range.from !== undefined ? 'from' : 'to';
}

/** The TM attribute paired with a DA one: its keyword with `Time` for the final `Date`. */
function partnerTime(key: QueryKey): Tag | undefined {
  const keyword = key.keyword;
  if (keyword === undefined || !keyword.endsWith('Date')) return undefined;
  const entry = entryOfKeyword(`${keyword.slice(0, -'Date'.length)}Time`);
  return entry && entry.vrs.length === 1 && entry.vr === 'TM' ? entry.tag : undefined;
}
