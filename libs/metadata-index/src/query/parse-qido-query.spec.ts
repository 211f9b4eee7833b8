import { tagOf } from '@pacs/dicom';
import { parseQidoQuery } from './parse-qido-query';
import { QueryError } from './query.errors';

const parse = (query: string) => parseQidoQuery(new URLSearchParams(query));

describe('parseQidoQuery (PS3.18 8.3.4)', () => {
  it('reads attributes by keyword or by tag, each with its matching', () => {
    const query = parse('PatientName=Doe*&00100020=ID7&StudyDate=20200101-&ModalitiesInStudy=CT,MR');
    expect(query.keys.map((k) => [k.keyword, k.vr, k.match.kind])).toEqual([
      ['PatientName', 'PN', 'wildcard'],
      ['PatientID', 'LO', 'single'],
      ['StudyDate', 'DA', 'range'],
      ['ModalitiesInStudy', 'CS', 'any-of'],
    ]);
    expect(query.keys[1]!.tag).toBe(tagOf('PatientID'));
    expect(query).toMatchObject({ includeFields: [], fuzzy: false, limit: undefined, offset: 0 });
  });

  it('reads includefield (repeated or comma-separated, or all), fuzzymatching, limit and offset', () => {
    expect(
      parse('includefield=StudyDescription,00081030&includefield=Modality&fuzzymatching=true&limit=25&offset=50'),
    ).toMatchObject({
      includeFields: [tagOf('StudyDescription'), tagOf('StudyDescription'), tagOf('Modality')],
      fuzzy: true,
      limit: 25,
      offset: 50,
    });
    expect(parse('includefield=all&includefield=Modality').includeFields).toBe('all');
  });

  it('keeps an attribute with an empty value as a return key (universal matching)', () => {
    expect(parse('StudyDescription=').keys[0]!.match).toEqual({ kind: 'universal' });
  });

  it.each([
    ['PatientNam=Doe', 'PatientNam', /is not a DICOM keyword or tag/],
    ['includefield=Nope', 'includefield', /"Nope" is not a DICOM keyword/],
    ['limit=-1', 'limit', /"-1" is not a whole number/],
    ['offset=ten', 'offset', /"ten" is not a whole number/],
    ['fuzzymatching=yes', 'fuzzymatching', /neither true nor false/],
    ['PatientID=a&00100020=b', '00100020', /given more than once/],
    ['StudyDate=2020', 'StudyDate', /neither a date/],
    ['PatientID.PatientName=x', 'PatientID.PatientName', /"PatientID" is not a sequence/],
    ['RequestAttributesSequence.Nope=x', 'RequestAttributesSequence.Nope', /"Nope" is not a DICOM keyword/],
    [
      'RequestAttributesSequence.ReferencedStudySequence.ReferencedSOPInstanceUID=1.2',
      'RequestAttributesSequence.ReferencedStudySequence.ReferencedSOPInstanceUID',
      /one level of sequence items/,
    ],
    [
      'RequestAttributesSequence.ReferencedStudySequence=',
      'RequestAttributesSequence.ReferencedStudySequence',
      /one level of sequence items/,
    ],
    [
      'RequestAttributesSequence.RequestedProcedureID=1&00400275.00401001=2',
      '00400275.00401001',
      /given more than once/,
    ],
    ['RequestAttributesSequence=RP1', 'RequestAttributesSequence', /matched by the attributes of its item/],
    [
      'RequestAttributesSequence.RequestedProcedureID=1&RequestAttributesSequence=RP1',
      'RequestAttributesSequence',
      /matched by the attributes of its item/,
    ],
    ['RequestAttributesSequence=&RequestAttributesSequence=', 'RequestAttributesSequence', /given more than once/],
    ['includefield=PatientID.PatientName', 'includefield', /"PatientID" is not a sequence/],
  ])('refuses %s, naming %s', (query, key, message) => {
    let error: unknown;
    try {
      parse(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).key).toBe(key);
    expect((error as QueryError).message).toMatch(message);
  });
});

describe('parseQidoQuery: attributes of sequence items (PS3.18 8.3.4.1, PS3.4 C.2.2.2.6)', () => {
  it('makes the item keys of one sequence one key, in the place of its first parameter', () => {
    const query = parse(
      'RequestAttributesSequence.RequestedProcedureID=RP1&Modality=CT&00400275.00400009=SPS*&RequestAttributesSequence=',
    );
    expect(query.keys.map((key) => key.keyword)).toEqual(['RequestAttributesSequence', 'Modality']);
    expect(query.keys[0]).toEqual({
      tag: tagOf('RequestAttributesSequence'),
      keyword: 'RequestAttributesSequence',
      vr: 'SQ',
      match: {
        kind: 'sequence',
        items: [
          {
            tag: tagOf('RequestedProcedureID'),
            keyword: 'RequestedProcedureID',
            vr: 'SH',
            match: { kind: 'single', value: 'RP1' },
          },
          {
            tag: tagOf('ScheduledProcedureStepID'),
            keyword: 'ScheduledProcedureStepID',
            vr: 'SH',
            match: { kind: 'wildcard', pattern: 'SPS*' },
          },
        ],
      },
    });
    expect(query.parameters.get(tagOf('RequestAttributesSequence'))).toBe(
      'RequestAttributesSequence.RequestedProcedureID',
    );
    expect(query.parameters.get(tagOf('Modality'))).toBe('Modality');
  });

  it('takes a sequence given empty first as the same key', () => {
    const query = parse('RequestAttributesSequence=&RequestAttributesSequence.AccessionNumber=A1');
    expect(query.keys).toHaveLength(1);
    expect(query.keys[0]!.match.kind).toBe('sequence');
    expect(query.parameters.get(tagOf('RequestAttributesSequence'))).toBe('RequestAttributesSequence');
  });

  it('returns the sequence of an includefield path', () => {
    expect(parse('includefield=RequestAttributesSequence.RequestedProcedureID').includeFields).toEqual([
      tagOf('RequestAttributesSequence'),
    ]);
  });

  it('matches StudyDate and StudyTime ranges as one date-time (combineDateTimeKeys)', () => {
    const query = parse('StudyTime=2200-0200&StudyDate=20200101-20200102');
    expect(query.keys.map((key) => key.match)).toEqual([
      { kind: 'universal' },
      { kind: 'date-time', time: tagOf('StudyTime'), from: '202001012200', to: '202001020200' },
    ]);
  });
});
