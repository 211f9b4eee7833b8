import { tagOf } from '@pacs/dicom';
import { parseAttributeMatch } from './parse-attribute-match';
import { combineDateTimeKeys } from './combine-date-time';
import type { QueryKey } from './parse-qido-query';

/** Keys as C-FIND reads them (no combination), to combine here. */
function keys(query: Record<string, string>): QueryKey[] {
  return Object.entries(query).map(([keyword, value]) => {
    const vr = keyword.endsWith('Date') ? 'DA' : keyword.endsWith('Time') ? 'TM' : 'LO';
    return { tag: tagOf(keyword), keyword, vr, match: parseAttributeMatch(keyword, vr, value, 'dimse') };
  });
}

describe('combineDateTimeKeys (PS3.4 C.2.2.2.5)', () => {
  it('makes a DA range and its TM range of the same form one date-time range, the time a return key', () => {
    const combined = combineDateTimeKeys(
      keys({ PatientID: 'P1', StudyDate: '20200101-20200102', StudyTime: '2200-0200' }),
    );
    expect(combined.map((key) => [key.keyword, key.match])).toEqual([
      ['PatientID', { kind: 'single', value: 'P1' }],
      ['StudyDate', { kind: 'date-time', time: tagOf('StudyTime'), from: '202001012200', to: '202001020200' }],
      ['StudyTime', { kind: 'universal' }],
    ]);
  });

  it.each([
    ['SeriesDate', 'SeriesTime'],
    ['ContentDate', 'ContentTime'],
    ['AcquisitionDate', 'AcquisitionTime'],
  ])('pairs %s with %s, in either order', (date, time) => {
    const [first, second] = combineDateTimeKeys(keys({ [time]: '10-', [date]: '20200101-' }));
    expect(first!.match).toEqual({ kind: 'universal' });
    expect(second!.match).toEqual({ kind: 'date-time', time: tagOf(time), from: '2020010110' });
  });

  it('combines open ranges of one form: from with from, to with to', () => {
    const [to] = combineDateTimeKeys(keys({ StudyDate: '-20200101', StudyTime: '-120000.5' }));
    expect(to!.match).toEqual({ kind: 'date-time', time: tagOf('StudyTime'), to: '20200101120000.5' });
  });

  it.each([
    ['ranges of different forms', { StudyDate: '20200101-20200102', StudyTime: '2200-' }],
    ['a single date', { StudyDate: '20200101', StudyTime: '2200-2300' }],
    ['a single time', { StudyDate: '20200101-20200102', StudyTime: '2200' }],
    ['a range of equal bounds, as one value', { StudyDate: '20200101-20200102', StudyTime: '2200-2200' }],
    ['no time', { StudyDate: '20200101-20200102' }],
    ['the time of another date', { StudyDate: '20200101-20200102', SeriesTime: '2200-0200' }],
    ['a universal time', { StudyDate: '20200101-20200102', StudyTime: '' }],
  ])('leaves the keys as they are with %s', (_case, query) => {
    expect(combineDateTimeKeys(keys(query))).toEqual(keys(query));
  });
});
