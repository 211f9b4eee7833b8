import { parseAttributeMatch } from './parse-attribute-match';
import { QueryError } from './query.errors';

describe('parseAttributeMatch (PS3.4 C.2.2.2)', () => {
  it('reads a zero-length value, and * alone, as universal matching', () => {
    expect(parseAttributeMatch('PatientName', 'PN', '', 'dimse')).toEqual({ kind: 'universal' });
    expect(parseAttributeMatch('PatientName', 'PN', '*', 'qido')).toEqual({ kind: 'universal' });
    expect(parseAttributeMatch('ReferencedSeriesSequence', 'SQ', '', 'dimse')).toEqual({ kind: 'universal' });
  });

  it('reads "" as empty value matching', () => {
    expect(parseAttributeMatch('AccessionNumber', 'SH', '""', 'qido')).toEqual({ kind: 'empty' });
  });

  it('reads a value without wildcards as single value matching, without its padding', () => {
    expect(parseAttributeMatch('PatientID', 'LO', 'ID 7 ', 'dimse')).toEqual({ kind: 'single', value: 'ID 7' });
    expect(parseAttributeMatch('StudyInstanceUID', 'UI', '1.2.3', 'qido')).toEqual({ kind: 'single', value: '1.2.3' });
  });

  it('reads a list of UIDs (backslash; also comma in QIDO-RS) as list of UID matching', () => {
    expect(parseAttributeMatch('SOPInstanceUID', 'UI', '1.2.3\\1.2.4', 'dimse')).toEqual({
      kind: 'any-of',
      values: ['1.2.3', '1.2.4'],
    });
    expect(parseAttributeMatch('SOPInstanceUID', 'UI', '1.2.3,1.2.4', 'qido')).toEqual({
      kind: 'any-of',
      values: ['1.2.3', '1.2.4'],
    });
    expect(parseAttributeMatch('ModalitiesInStudy', 'CS', 'CT,MR', 'qido')).toEqual({
      kind: 'any-of',
      values: ['CT', 'MR'],
    });
  });

  it('reads * and ? as wild card matching, for the VRs that allow it', () => {
    expect(parseAttributeMatch('PatientName', 'PN', 'Doe^J*', 'qido')).toEqual({ kind: 'wildcard', pattern: 'Doe^J*' });
    expect(parseAttributeMatch('StudyDescription', 'LO', 'CHEST?', 'dimse')).toEqual({
      kind: 'wildcard',
      pattern: 'CHEST?',
    });
  });

  it('reads DA, TM and DT ranges with one or both bounds, and a single value as the range of its precision', () => {
    expect(parseAttributeMatch('StudyDate', 'DA', '20200101-20201231', 'qido')).toEqual({
      kind: 'range',
      vr: 'DA',
      from: '20200101',
      to: '20201231',
    });
    expect(parseAttributeMatch('StudyDate', 'DA', '-20201231', 'qido')).toEqual({
      kind: 'range',
      vr: 'DA',
      to: '20201231',
    });
    expect(parseAttributeMatch('StudyTime', 'TM', '0800-', 'dimse')).toEqual({ kind: 'range', vr: 'TM', from: '0800' });
    expect(parseAttributeMatch('StudyDate', 'DA', '20200102', 'qido')).toEqual({
      kind: 'range',
      vr: 'DA',
      from: '20200102',
      to: '20200102',
    });
  });

  it('finds the range separator of DT values that carry a negative UTC offset', () => {
    expect(parseAttributeMatch('AcquisitionDateTime', 'DT', '20200101120000-0500-20200102', 'qido')).toEqual({
      kind: 'range',
      vr: 'DT',
      from: '20200101120000-0500',
      to: '20200102',
    });
    expect(parseAttributeMatch('AcquisitionDateTime', 'DT', '20200101120000-0500', 'qido')).toEqual({
      kind: 'range',
      vr: 'DT',
      from: '20200101120000-0500',
      to: '20200101120000-0500',
    });
  });

  it.each([
    ['StudyInstanceUID', 'UI', '1.2.*', /wildcards do not apply|not a UID/],
    ['StudyInstanceUID', 'UI', '1.2.abc', /"1.2.abc" is not a UID/],
    ['StudyDate', 'DA', '2020-01-01', /neither a date \(YYYYMMDD\) nor a range/],
    ['StudyDate', 'DA', '20201301', /neither a date/],
    ['StudyDate', 'DA', '-', /neither a date/],
    ['StudyDate', 'DA', '20200101\\20200102', /one value or one range, not a list/],
    ['StudyTime', 'TM', '25', /neither a time/],
    ['SeriesNumber', 'IS', 'seven', /"seven" is not a number/],
    ['SeriesNumber', 'IS', '1*', /"1\*" is not a number/],
    ['StudyInstanceUID', 'UI', '1.2.3,1.2.x', /"1.2.x" is not a UID/],
    ['ModalitiesInStudy', 'CS', 'C*\\MR', /a list of values cannot hold wildcards/],
    ['PixelData', 'OW', 'x', /attributes of VR OW cannot be matched/],
    ['ReferencedSeriesSequence', 'SQ', 'x', /matched by the attributes of its item/],
  ] as const)('refuses %s=%s (%s) naming the key', (key, vr, value, message) => {
    let error: unknown;
    try {
      parseAttributeMatch(key, vr, value, 'qido');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).key).toBe(key);
    expect((error as QueryError).message).toMatch(new RegExp(`^${key}: `));
    expect((error as QueryError).message).toMatch(message);
  });
});
