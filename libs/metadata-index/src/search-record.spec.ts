import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import { instanceAttributesOf, instanceRecord, seriesAttributesOf, seriesRecord } from './search-record';

const tag = (keyword: string) => formatTag(tagOf(keyword));
const attributes: DicomJsonDataset = {
  [tag('PatientID')]: { vr: 'LO', Value: ['P1'] },
  [tag('StudyInstanceUID')]: { vr: 'UI', Value: ['1.2'] },
  [tag('SeriesInstanceUID')]: { vr: 'UI', Value: ['1.2.3'] },
  [tag('Modality')]: { vr: 'CS', Value: ['CT'] },
  [tag('SOPInstanceUID')]: { vr: 'UI', Value: ['1.2.3.4'] },
  [tag('InstanceNumber')]: { vr: 'IS', Value: [4] },
  // An extra keyword configured for the ingest.
  [tag('ImageType')]: { vr: 'CS', Value: ['ORIGINAL'] },
};

describe('search records', () => {
  it('splits index attributes by level, extra ones with the instance', () => {
    expect(Object.keys(seriesAttributesOf(attributes))).toEqual([tag('SeriesInstanceUID'), tag('Modality')]);
    expect(Object.keys(instanceAttributesOf(attributes)).sort()).toEqual(
      [tag('SOPInstanceUID'), tag('InstanceNumber'), tag('ImageType')].sort(),
    );
  });

  it('builds a series record on its study record and an instance record on its series record, keys sorted', () => {
    const study = { [tag('StudyInstanceUID')]: attributes[tag('StudyInstanceUID')]! };
    const series = seriesRecord(study, seriesAttributesOf(attributes), 2);
    expect(series).toEqual({
      ...study,
      ...seriesAttributesOf(attributes),
      [tag('NumberOfSeriesRelatedInstances')]: { vr: 'IS', Value: [2] },
    });
    const instance = instanceRecord(series, attributes);
    expect(instance[tag('PatientID')]).toBeUndefined();
    expect(instance[tag('InstanceNumber')]).toEqual({ vr: 'IS', Value: [4] });
    expect(Object.keys(instance)).toEqual(Object.keys(instance).sort());
    expect(Object.keys(series)).toEqual(Object.keys(series).sort());
  });
});
