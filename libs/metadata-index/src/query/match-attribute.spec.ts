import type { DicomJsonAttribute } from '@pacs/dicom';
import type { Vr } from '@pacs/dicom';
import { matchAttribute } from './match-attribute';
import { parseAttributeMatch } from './parse-attribute-match';

const text = (vr: Vr, ...values: (string | null)[]): DicomJsonAttribute => ({ vr, Value: values });
const name = (...values: { Alphabetic?: string; Ideographic?: string; Phonetic?: string }[]): DicomJsonAttribute => ({
  vr: 'PN',
  Value: values,
});
const matches = (vr: Vr, query: string, attribute: DicomJsonAttribute | undefined, fuzzy = false) =>
  matchAttribute(parseAttributeMatch('key', vr, query, 'qido'), attribute, { fuzzy });

describe('matchAttribute', () => {
  it('universal matching matches everything, absent attributes included', () => {
    expect(matches('LO', '', undefined)).toBe(true);
    expect(matches('LO', '*', text('LO', 'x'))).toBe(true);
  });

  it('empty value matching matches absent and empty attributes only', () => {
    expect(matches('SH', '""', undefined)).toBe(true);
    expect(matches('SH', '""', { vr: 'SH' })).toBe(true);
    expect(matches('SH', '""', text('SH', 'A1'))).toBe(false);
  });

  it('single value matching is exact and case-sensitive for text, any value of a multi-valued attribute', () => {
    expect(matches('LO', 'ID7', text('LO', 'ID7'))).toBe(true);
    expect(matches('LO', 'ID7', text('LO', 'id7'))).toBe(false);
    expect(matches('LO', 'ID7', text('LO', 'ID77'))).toBe(false);
    expect(matches('CS', 'MR', text('CS', 'CT', 'MR'))).toBe(true);
    expect(matches('LO', 'ID7', undefined)).toBe(false);
  });

  it('matches numbers by value', () => {
    expect(matches('IS', '7', text('IS', '007'))).toBe(true);
    expect(matches('IS', '7', { vr: 'IS', Value: [7] })).toBe(true);
    expect(matches('IS', '7', { vr: 'IS', Value: [8] })).toBe(false);
  });

  it('matches a list of UIDs when any is the stored one', () => {
    expect(matches('UI', '1.2.3,1.2.4', text('UI', '1.2.4'))).toBe(true);
    expect(matches('UI', '1.2.3,1.2.4', text('UI', '1.2.5'))).toBe(false);
  });

  it('wild card matching: * any run (none included), ? one character, over the whole value', () => {
    expect(matches('LO', 'CHEST*', text('LO', 'CHEST'))).toBe(true);
    expect(matches('LO', 'CHEST*', text('LO', 'CHEST PA'))).toBe(true);
    expect(matches('LO', '*PA', text('LO', 'CHEST PA'))).toBe(true);
    expect(matches('LO', 'CH?ST', text('LO', 'CHEST'))).toBe(true);
    expect(matches('LO', 'CH?ST', text('LO', 'CHST'))).toBe(false);
    expect(matches('LO', 'C.EST*', text('LO', 'CHEST'))).toBe(false);
  });

  it('matches person names case-insensitively in any group, or group by group with =', () => {
    const yamada = name({ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
    expect(matches('PN', 'yamada^tarou', yamada)).toBe(true);
    expect(matches('PN', '山田^太郎', yamada)).toBe(true);
    expect(matches('PN', '山田*', yamada)).toBe(true);
    expect(matches('PN', 'Yamada*=山田*', yamada)).toBe(true);
    expect(matches('PN', 'Yamada*=田中*', yamada)).toBe(false);
    expect(matches('PN', 'Yamada', yamada)).toBe(false);
  });

  it('fuzzy person name matching ignores accents and matches component by component from their start', () => {
    const muller = name({ Alphabetic: 'Müller^Jürgen' });
    expect(matches('PN', 'muller', muller)).toBe(false);
    expect(matches('PN', 'muller', muller, true)).toBe(true);
    expect(matches('PN', 'MULL^jur', muller, true)).toBe(true);
    expect(matches('PN', 'jurgen', muller, true)).toBe(true);
    expect(matches('PN', 'jurgen^muller', muller, true)).toBe(false);
    expect(matches('PN', 'schmidt', muller, true)).toBe(false);
  });

  it('range matching on dates, bounds included, open on one side', () => {
    const date = text('DA', '20200615');
    expect(matches('DA', '20200101-20201231', date)).toBe(true);
    expect(matches('DA', '20200615-20200615', date)).toBe(true);
    expect(matches('DA', '20200616-', date)).toBe(false);
    expect(matches('DA', '-20200615', date)).toBe(true);
    expect(matches('DA', '20200615', date)).toBe(true);
    expect(matches('DA', '20200101-20201231', undefined)).toBe(false);
  });

  it('range matching on times and date-times by the interval each value covers at its precision', () => {
    expect(matches('TM', '10', text('TM', '103000.5'))).toBe(true);
    expect(matches('TM', '103030-', text('TM', '1030'))).toBe(true); // 1030 covers 10:30:00 to 10:30:59.999999
    expect(matches('TM', '1031-', text('TM', '1030'))).toBe(false);
    expect(matches('TM', '103030-', text('TM', '103000'))).toBe(false);
    expect(matches('TM', '-0959', text('TM', '100000'))).toBe(false);
    expect(matches('DT', '2020-2021', text('DT', '20210630120000'))).toBe(true);
    expect(matches('DT', '202001-20200131', text('DT', '20200201000000'))).toBe(false);
    expect(matches('DT', '20200101120000-0500-', text('DT', '20200101130000+0100'))).toBe(true);
  });
});
