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
    [
      'ReferencedSeriesSequence.SeriesInstanceUID=1.2',
      'ReferencedSeriesSequence.SeriesInstanceUID',
      /inside sequences/,
    ],
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
