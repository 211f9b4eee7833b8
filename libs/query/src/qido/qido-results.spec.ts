import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import { parseQidoQuery, type SearchLevel } from '@pacs/metadata-index';
import { parseQidoSearch } from './parse-qido-search';
import { qidoResult, returnedTags, withMatchingItems } from './qido-results';

const key = (keyword: string) => formatTag(tagOf(keyword));
const BASE = 'http://pacs.example/tenants/oncology/dicomweb';

/** An instance-level record as the index returns it: study, series and instance attributes. */
const record: DicomJsonDataset = {
  [key('SpecificCharacterSet')]: { vr: 'CS', Value: ['ISO_IR 100'] },
  [key('StudyDate')]: { vr: 'DA', Value: ['20260315'] },
  [key('Modality')]: { vr: 'CS', Value: ['CT'] },
  [key('SeriesDescription')]: { vr: 'LO', Value: ['Abdomen'] },
  [key('StudyDescription')]: { vr: 'LO', Value: ['CT THORAX'] },
  [key('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
  [key('PatientID')]: { vr: 'LO', Value: ['P2'] },
  [key('StudyInstanceUID')]: { vr: 'UI', Value: ['1.2.3'] },
  [key('SeriesInstanceUID')]: { vr: 'UI', Value: ['1.2.3.4'] },
  [key('SOPInstanceUID')]: { vr: 'UI', Value: ['1.2.3.4.5'] },
  [key('SOPClassUID')]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
  [key('InstanceNumber')]: { vr: 'IS', Value: [5] },
  [key('Rows')]: { vr: 'US', Value: [16] },
  [key('NumberOfStudyRelatedInstances')]: { vr: 'IS', Value: [3] },
  [key('NumberOfSeriesRelatedInstances')]: { vr: 'IS', Value: [2] },
};

const resultOf = (level: 'study' | 'series' | 'instance', path: { study?: string; series?: string }, query = '') => {
  const search = parseQidoSearch(level, path, new URLSearchParams(query));
  return qidoResult(record, level, returnedTags(search), BASE);
};
const keywordsOf = (result: DicomJsonDataset) => Object.keys(result);

describe('QIDO-RS results', () => {
  it('answers a study with the study defaults and its Retrieve URL, in tag order', () => {
    const result = resultOf('study', {});
    expect(keywordsOf(result)).toEqual(
      ['StudyDate', 'RetrieveURL', 'PatientName', 'PatientID', 'StudyInstanceUID', 'NumberOfStudyRelatedInstances'].map(
        key,
      ),
    );
    expect(result[key('RetrieveURL')]).toEqual({ vr: 'UR', Value: [`${BASE}/studies/1.2.3`] });
  });

  it('answers a series of a study with the series defaults and the study UID, without the study defaults', () => {
    const result = resultOf('series', { study: '1.2.3' });
    expect(keywordsOf(result)).toEqual(
      [
        'Modality',
        'SeriesDescription',
        'RetrieveURL',
        'StudyInstanceUID',
        'SeriesInstanceUID',
        'NumberOfSeriesRelatedInstances',
      ].map(key),
    );
    expect(result[key('RetrieveURL')]!.Value).toEqual([`${BASE}/studies/1.2.3/series/1.2.3.4`]);
  });

  it('adds the study defaults to a search of all series (PS3.18 10.6.3.3.2)', () => {
    const result = resultOf('series', {});
    expect(result[key('PatientID')]).toEqual({ vr: 'LO', Value: ['P2'] });
    expect(result[key('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [3] });
    expect(result[key('RetrieveURL')]!.Value).toEqual([`${BASE}/studies/1.2.3/series/1.2.3.4`]);
  });

  it('adds the series defaults to the instances of a study, and the study ones too to all instances', () => {
    const ofSeries = resultOf('instance', { study: '1.2.3', series: '1.2.3.4' });
    expect(keywordsOf(ofSeries)).toEqual(
      [
        'SOPClassUID',
        'SOPInstanceUID',
        'RetrieveURL',
        'StudyInstanceUID',
        'SeriesInstanceUID',
        'InstanceNumber',
        'Rows',
      ].map(key),
    );
    expect(ofSeries[key('RetrieveURL')]!.Value).toEqual([`${BASE}/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5`]);
    const ofStudy = resultOf('instance', { study: '1.2.3' });
    expect(ofStudy[key('Modality')]).toBeDefined();
    expect(ofStudy[key('PatientID')]).toBeUndefined();
    const all = resultOf('instance', {});
    expect(all[key('Modality')]).toBeDefined();
    expect(all[key('PatientID')]).toBeDefined();
  });

  it('adds the keys and the includefield attributes the record holds; all returns the whole record', () => {
    const result = resultOf('study', {}, 'StudyDescription=CT*&includefield=SpecificCharacterSet,00081030,ImageType');
    expect(result[key('StudyDescription')]).toEqual({ vr: 'LO', Value: ['CT THORAX'] });
    expect(result[key('SpecificCharacterSet')]).toEqual({ vr: 'CS', Value: ['ISO_IR 100'] });
    expect(result[key('ImageType')]).toBeUndefined();
    const all = resultOf('series', { study: '1.2.3' }, 'includefield=all');
    expect(keywordsOf(all).sort()).toEqual([...Object.keys(record), key('RetrieveURL')].sort());
  });

  it("returns the tenant's extra attributes of the level by default, and of the levels whose defaults it returns", () => {
    const extras = new Map<number, SearchLevel>([
      [tagOf('ProtocolName'), 'series'],
      [tagOf('ImageType'), 'instance'],
    ]);
    const withExtras: DicomJsonDataset = {
      ...record,
      [key('ProtocolName')]: { vr: 'LO', Value: ['ABD'] },
      [key('ImageType')]: { vr: 'CS', Value: ['ORIGINAL'] },
    };
    const returned = (level: SearchLevel, path: { study?: string; series?: string }) =>
      Object.keys(qidoResult(withExtras, level, returnedTags(parseQidoSearch(level, path, [], extras)), BASE));
    expect(returned('series', {})).toContain(key('ProtocolName'));
    expect(returned('series', {})).not.toContain(key('ImageType'));
    expect(returned('instance', {})).toEqual(expect.arrayContaining([key('ProtocolName'), key('ImageType')]));
    expect(returned('instance', { study: '1.2.3', series: '1.2.3.4' })).not.toContain(key('ProtocolName'));
    expect(returned('study', {})).not.toContain(key('ProtocolName'));
  });
});

describe('withMatchingItems', () => {
  const item = (procedure: string): DicomJsonDataset => ({
    [key('RequestedProcedureID')]: { vr: 'SH', Value: [procedure] },
  });
  const series: DicomJsonDataset = {
    ...record,
    [key('RequestAttributesSequence')]: { vr: 'SQ', Value: [item('RP1'), item('RP2'), item('RP1')] },
  };
  const keysOf = (query: string) => parseQidoQuery(new URLSearchParams(query)).keys;

  it('reduces a matched sequence to its matching items (PS3.4 C.2.2.2.6)', () => {
    const reduced = withMatchingItems(series, keysOf('RequestAttributesSequence.RequestedProcedureID=RP1'));
    expect(reduced[key('RequestAttributesSequence')]).toEqual({ vr: 'SQ', Value: [item('RP1'), item('RP1')] });
    expect(series[key('RequestAttributesSequence')]!.Value).toHaveLength(3);
  });

  it('keeps the record as it is without a sequence key, or with a universal one', () => {
    expect(withMatchingItems(series, keysOf('Modality=CT'))).toBe(series);
    const universal = withMatchingItems(series, keysOf('RequestAttributesSequence='));
    expect(universal[key('RequestAttributesSequence')]!.Value).toHaveLength(3);
  });
});
