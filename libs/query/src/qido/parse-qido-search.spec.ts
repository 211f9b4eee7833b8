import { tagOf } from '@pacs/dicom';
import { QueryError, type SearchLevel } from '@pacs/metadata-index';
import { parseQidoSearch } from './parse-qido-search';

const params = (query: string) => new URLSearchParams(query);
const errorOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryError) return error.message;
    throw error;
  }
  throw new Error('expected a QueryError');
};

describe('parseQidoSearch', () => {
  it('takes the scope from the path and the keys from the query', () => {
    const search = parseQidoSearch(
      'instance',
      { study: '1.2.3', series: '1.2.3.4' },
      params('InstanceNumber=1&limit=5'),
    );
    expect(search.scope).toEqual({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4' });
    expect(search.query.keys.map((k) => k.keyword)).toEqual(['InstanceNumber']);
    expect(search.query.limit).toBe(5);
    expect(parseQidoSearch('study', {}, params('')).scope).toEqual({});
  });

  it('refuses a path UID that is not a UID, naming it', () => {
    expect(errorOf(() => parseQidoSearch('series', { study: 'abc' }, params('')))).toBe(
      'StudyInstanceUID: "abc" in the URL is not a UID (PS3.5 9.1)',
    );
    expect(errorOf(() => parseQidoSearch('instance', { study: '1.2', series: '1..2' }, params('')))).toMatch(
      /^SeriesInstanceUID: "1\.\.2" in the URL/,
    );
  });

  it('lets keys of the searched level and of the levels above select (relational queries)', () => {
    expect(() => parseQidoSearch('study', {}, params('PatientID=P1&ModalitiesInStudy=CT'))).not.toThrow();
    expect(() =>
      parseQidoSearch('series', {}, params('PatientID=P1&Modality=CT&NumberOfSeriesRelatedInstances=2')),
    ).not.toThrow();
    expect(() =>
      parseQidoSearch(
        'instance',
        {},
        params('StudyDate=20200101-&SeriesNumber=3&SOPClassUID=1.2.840.10008.5.1.4.1.1.2'),
      ),
    ).not.toThrow();
  });

  it('refuses a key of a lower level, naming the parameter as written', () => {
    expect(errorOf(() => parseQidoSearch('study', {}, params('Modality=CT')))).toBe(
      'Modality: Modality is a series attribute: it cannot select in a study search (PS3.18 10.6.1.2)',
    );
    expect(errorOf(() => parseQidoSearch('series', { study: '1.2' }, params('00080018=1.2.3')))).toBe(
      '00080018: SOPInstanceUID is an instance attribute: it cannot select in a series search (PS3.18 10.6.1.2)',
    );
  });

  it('refuses a key the index does not match on, saying which it does', () => {
    const message = errorOf(() => parseQidoSearch('study', {}, params('PatientID=P1&ImageType=ORIGINAL')));
    expect(message).toMatch(
      /^ImageType: ImageType is not an attribute this server matches on in a study search; it matches on PatientName, PatientID, /,
    );
    expect(message).not.toMatch(/Modality,/);
    expect(errorOf(() => parseQidoSearch('instance', {}, params('SpecificCharacterSet=ISO_IR 100')))).toMatch(
      /^SpecificCharacterSet: SpecificCharacterSet is not an attribute this server matches on/,
    );
  });

  it('takes a universal key of any attribute as a return key only', () => {
    const search = parseQidoSearch('study', {}, params('SOPInstanceUID=&ImageType=&PatientID=P1'));
    expect(search.query.keys.map((k) => [k.keyword, k.match.kind])).toEqual([
      ['SOPInstanceUID', 'universal'],
      ['ImageType', 'universal'],
      ['PatientID', 'single'],
    ]);
  });

  it('passes on the errors of the query parameters themselves', () => {
    expect(errorOf(() => parseQidoSearch('study', {}, params('limit=-1')))).toMatch(/^limit: /);
    expect(errorOf(() => parseQidoSearch('series', {}, params('Modality=CT&Modality=MR')))).toBe(
      'Modality: given more than once',
    );
  });

  describe("with the tenant's extra attributes", () => {
    const extras = new Map<number, SearchLevel>([
      [tagOf('ProtocolName'), 'series'],
      [tagOf('ImageType'), 'instance'],
    ]);

    it('matches on them at their level and below, not above', () => {
      const search = parseQidoSearch('instance', {}, params('ProtocolName=ABD*&00080008=AXIAL'), extras);
      expect(search.query.keys.map((k) => [k.keyword, k.match.kind])).toEqual([
        ['ProtocolName', 'wildcard'],
        ['ImageType', 'single'],
      ]);
      expect(search.extras).toBe(extras);
      expect(errorOf(() => parseQidoSearch('study', {}, params('ProtocolName=ABD'), extras))).toBe(
        'ProtocolName: ProtocolName is a series attribute: it cannot select in a study search (PS3.18 10.6.1.2)',
      );
    });

    it('names them among the keys matched at a level', () => {
      const message = errorOf(() => parseQidoSearch('series', {}, params('KVP=120'), extras));
      expect(message).toMatch(/^KVP: KVP is not an attribute this server matches on in a series search/);
      expect(message).toMatch(/, ProtocolName$/);
    });

    it("are another tenant's keys no more than the built-in ones", () => {
      expect(errorOf(() => parseQidoSearch('series', {}, params('ProtocolName=ABD')))).toMatch(
        /^ProtocolName: ProtocolName is not an attribute this server matches on/,
      );
    });
  });

  it('matches a sequence the index holds by the attributes of its item, at its level', () => {
    const search = parseQidoSearch('series', {}, params('RequestAttributesSequence.RequestedProcedureID=RP1'));
    expect(search.query.keys.map((k) => [k.keyword, k.match.kind])).toEqual([
      ['RequestAttributesSequence', 'sequence'],
    ]);
    expect(
      errorOf(() => parseQidoSearch('study', {}, params('RequestAttributesSequence.RequestedProcedureID=RP1'))),
    ).toBe(
      'RequestAttributesSequence.RequestedProcedureID: RequestAttributesSequence is a series attribute: it cannot select in a study search (PS3.18 10.6.1.2)',
    );
    expect(
      errorOf(() => parseQidoSearch('study', {}, params('ReferencedStudySequence.ReferencedSOPInstanceUID=1.2'))),
    ).toMatch(
      /^ReferencedStudySequence.ReferencedSOPInstanceUID: ReferencedStudySequence is not an attribute this server matches on/,
    );
  });

  it('checks the time of a combined date-time range as a key of its own', () => {
    const search = parseQidoSearch('study', {}, params('StudyDate=20200101-20200102&StudyTime=2200-0200'));
    expect(search.query.keys.map((k) => k.match.kind)).toEqual(['date-time', 'universal']);
    expect(
      errorOf(() => parseQidoSearch('study', {}, params('PatientBirthDate=19600101-19700101&PatientBirthTime=10-12'))),
    ).toMatch(/^PatientBirthTime: PatientBirthTime is not an attribute this server matches on/);
    expect(
      errorOf(() => parseQidoSearch('study', {}, params('SeriesDate=20200101-20200102&SeriesTime=22-02'))),
    ).toMatch(/^SeriesDate: SeriesDate is a series attribute/);
  });
});
