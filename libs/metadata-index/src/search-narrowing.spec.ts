import type { SearchLevel } from './metadata-index.port';
import { parseQidoQuery } from './query/parse-qido-query';
import { prefixUpperBound, searchNarrowing } from './search-narrowing';

const narrowing = (level: SearchLevel, query: string) => {
  const parsed = parseQidoQuery(new URLSearchParams(query));
  return searchNarrowing(level, parsed.keys, { fuzzy: parsed.fuzzy });
};

describe('searchNarrowing', () => {
  it('turns single values, lists, wildcard starts and date ranges into field conditions', () => {
    expect(
      narrowing('study', 'PatientID=P1&AccessionNumber=A*&StudyInstanceUID=1.1,1.2&StudyDate=20200101-').fields,
    ).toEqual([
      { field: 'patientId', kind: 'equals', value: 'P1' },
      { field: 'accessionNumber', kind: 'prefix', prefix: 'A' },
      { field: 'studyInstanceUid', kind: 'in', values: ['1.1', '1.2'] },
      { field: 'studyDate', kind: 'range', from: '20200101' },
    ]);
    expect(narrowing('study', 'StudyDate=20200110').fields).toEqual([
      { field: 'studyDate', kind: 'range', from: '20200110', to: '20200110' },
    ]);
  });

  it('narrows a combined StudyDate and StudyTime range with its dates', () => {
    expect(narrowing('study', 'StudyDate=20200101-20200102&StudyTime=2200-0200').fields).toEqual([
      { field: 'studyDate', kind: 'range', from: '20200101', to: '20200102' },
    ]);
    expect(narrowing('series', 'StudyDate=-20200102&StudyTime=-0100').fields).toEqual([
      { field: 'studyDate', kind: 'range', to: '20200102' },
    ]);
  });

  it('leaves to collectPage what the index cannot check: keys of no field, of lower levels, or starting with a wildcard', () => {
    expect(narrowing('study', 'StudyDescription=CHEST&Modality=CT&SOPClassUID=1.2&PatientID=*1').fields).toEqual([]);
    expect(narrowing('series', 'Modality=CT&SOPInstanceUID=1.2.3').fields).toEqual([
      { field: 'modality', kind: 'equals', value: 'CT' },
    ]);
    expect(narrowing('instance', 'Modality=CT&SOPInstanceUID=1.2.3&PatientID=P1').fields).toEqual([
      { field: 'modality', kind: 'equals', value: 'CT' },
      { field: 'sopInstanceUid', kind: 'equals', value: '1.2.3' },
      { field: 'patientId', kind: 'equals', value: 'P1' },
    ]);
  });

  it('narrows PatientName with its tokens at every level, fuzzily when asked', () => {
    expect(narrowing('instance', 'PatientName=Doe*').names).toEqual([{ anyOf: [[{ kind: 'prefix', token: 'doe' }]] }]);
    expect(narrowing('study', 'PatientName=Doe&fuzzymatching=true').names).toEqual([
      { anyOf: [[{ kind: 'prefix', token: 'doe' }]] },
    ]);
    expect(narrowing('study', 'PatientName=*Doe').names).toEqual([]);
  });
});

describe('prefixUpperBound', () => {
  it.each([
    ['A', 'B'],
    ['doe', 'dof'],
    ['山田', '山由'],
    ['a\u{10FFFF}', 'b'],
    ['\uD7FF', '\uE000'],
  ])('bounds the strings starting with %j by %j', (prefix, bound) => {
    expect(prefixUpperBound(prefix)).toBe(bound);
    for (const text of [prefix, `${prefix}z`, `${prefix}\uFFFF`, `${prefix}\u{10FFFE}`]) {
      expect(Buffer.compare(Buffer.from(text), Buffer.from(bound)) < 0).toBe(true);
    }
  });

  it('has none for a prefix of the last character only', () => {
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined();
  });
});
