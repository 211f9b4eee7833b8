import { formatTag, tagOf, type DicomJsonAttribute, type DicomJsonDataset, type Vr } from '@pacs/dicom';
import { matchAttribute, matchingItems, matchKey } from './match-attribute';
import { parseAttributeMatch } from './parse-attribute-match';
import { parseQidoQuery } from './parse-qido-query';

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

  it('fuzzy person name matching takes the final sigma for a sigma', () => {
    const odysseus = name({ Alphabetic: 'ΟΔΥΣΣΕΥΣ^ΝΙΚΟΣ' });
    expect(matches('PN', 'οδυσσευσ', odysseus, true)).toBe(true);
    expect(matches('PN', 'Οδυσσευς^νικος', odysseus, true)).toBe(true);
    expect(matches('PN', 'οδυσσευσ', odysseus)).toBe(false);
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

describe('matchKey and matchingItems: Sequence Matching (PS3.4 C.2.2.2.6)', () => {
  const key = (keyword: string) => formatTag(tagOf(keyword));
  const item = (procedure: string, step: string): DicomJsonDataset => ({
    [key('RequestedProcedureID')]: text('SH', procedure),
    [key('ScheduledProcedureStepID')]: text('SH', step),
  });
  const record = (...items: DicomJsonDataset[]): DicomJsonDataset => ({
    [key('RequestAttributesSequence')]: { vr: 'SQ', Value: items },
  });
  const sequenceKey = (query: string) => parseQidoQuery(new URLSearchParams(query)).keys[0]!;

  it('matches when one item matches every item key, not keys met in different items', () => {
    const both = sequenceKey(
      'RequestAttributesSequence.RequestedProcedureID=RP1&RequestAttributesSequence.ScheduledProcedureStepID=SPS2',
    );
    expect(matchKey(both, record(item('RP1', 'SPS1'), item('RP1', 'SPS2')))).toBe(true);
    expect(matchKey(both, record(item('RP1', 'SPS9'), item('RP2', 'SPS2')))).toBe(false);
    expect(matchKey(both, record())).toBe(false);
    expect(matchKey(both, {})).toBe(false);
  });

  it('matches item keys with their own matching (wildcards, lists)', () => {
    expect(matchKey(sequenceKey('RequestAttributesSequence.RequestedProcedureID=RP*'), record(item('RP7', 'S')))).toBe(
      true,
    );
    expect(
      matchKey(sequenceKey('RequestAttributesSequence.RequestedProcedureID=RP1\\RP2'), record(item('RP2', 'S'))),
    ).toBe(true);
  });

  it('is universal without an item key with a value: every record matches, every item is returned', () => {
    const universal = sequenceKey('RequestAttributesSequence.RequestedProcedureID=');
    expect(matchKey(universal, {})).toBe(true);
    const stored = record(item('RP1', 'SPS1'), item('RP2', 'SPS2'));
    expect(matchingItems(universal.match as never, stored[key('RequestAttributesSequence')])).toHaveLength(2);
  });

  it('returns the items that match, in their order', () => {
    const rp1 = sequenceKey('RequestAttributesSequence.RequestedProcedureID=RP1');
    const stored = record(item('RP1', 'SPS1'), item('RP2', 'SPS2'), item('RP1', 'SPS3'));
    expect(matchingItems(rp1.match as never, stored[key('RequestAttributesSequence')])).toEqual([
      item('RP1', 'SPS1'),
      item('RP1', 'SPS3'),
    ]);
    expect(matchingItems(rp1.match as never, text('SH', 'RP1'))).toEqual([]);
  });
});

describe('matchKey: combined datetime matching (PS3.4 C.2.2.2.5)', () => {
  const key = (keyword: string) => formatTag(tagOf(keyword));
  const study = (date: string, time?: string): DicomJsonDataset => ({
    [key('StudyDate')]: text('DA', date),
    ...(time !== undefined ? { [key('StudyTime')]: text('TM', time) } : {}),
  });
  const dateKey = (query: string) => parseQidoQuery(new URLSearchParams(query)).keys[0]!;
  const night = dateKey('StudyDate=20200101-20200102&StudyTime=2200-0200');

  it.each([
    ['20200101', '215959.999999', false],
    ['20200101', '2200', true],
    ['20200101', '23', true],
    ['20200102', '0000', true],
    ['20200102', '020059.999999', true],
    ['20200102', '0201', false],
    ['20200103', '0100', false],
    ['20191231', '2300', false],
  ])('%s %s is within 2020-01-01 22:00 to 2020-01-02 02:00: %s', (date, time, expected) => {
    expect(matchKey(night, study(date, time))).toBe(expected);
  });

  it('takes a date without a time, or with one that is not a TM, as its whole day', () => {
    expect(matchKey(night, study('20200102'))).toBe(true);
    expect(matchKey(night, study('20200102', 'noon'))).toBe(true);
    expect(matchKey(night, study('20200103'))).toBe(false);
    expect(matchKey(night, {})).toBe(false);
  });

  it('matches open ranges', () => {
    const from = dateKey('StudyDate=20200102-&StudyTime=0200-');
    expect(matchKey(from, study('20200102', '0159'))).toBe(false);
    expect(matchKey(from, study('20300101', '0000'))).toBe(true);
    const to = dateKey('StudyDate=-20200101&StudyTime=-2200');
    expect(matchKey(to, study('20200101', '2201'))).toBe(false);
    expect(matchKey(to, study('19990101', '2359'))).toBe(true);
  });

  it('is read from the record only: matchAttribute refuses it', () => {
    expect(() => matchAttribute(night.match, study('20200101')[key('StudyDate')])).toThrow(TypeError);
  });
});
