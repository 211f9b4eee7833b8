import { formatTag, readDataset, tagOf, type DicomDataset, type DicomJsonDataset } from '@pacs/dicom';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';
import { QueryRetrieveSopClass } from '@pacs/ingest';
import { checkExtraAttributes, extraKeyLevels } from '@pacs/metadata-index';
import { parseFindQuery } from './find-query';
import { buildFindResponse } from './find-response';

const ILE = '1.2.840.10008.1.2';
const EBE = '1.2.840.10008.1.2.2';
const t = (keyword: string) => formatTag(tagOf(keyword));

function query(
  elements: TestElement[],
  sop: string = QueryRetrieveSopClass.StudyRootFind,
  extras?: Parameters<typeof parseFindQuery>[2],
) {
  const read = readDataset(encodeDataset(elements, ILE, { stringEncoding: 'utf8' }));
  if (read.status !== 'complete') throw new Error('unreadable');
  return parseFindQuery(sop, read.dataset, extras);
}

function response(bytes: Buffer, transferSyntax = ILE): DicomDataset {
  const read = readDataset(bytes, { transferSyntax });
  if (read.status !== 'complete') throw new Error('unreadable');
  return read.dataset;
}

const study = (name: string): DicomJsonDataset => ({
  [t('SpecificCharacterSet')]: { vr: 'CS', Value: ['ISO_IR 192'] },
  [t('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: name }] },
  [t('PatientID')]: { vr: 'LO', Value: ['P1'] },
  [t('PatientBirthDate')]: { vr: 'DA', Value: ['19700101'] },
  [t('StudyInstanceUID')]: { vr: 'UI', Value: ['1.2.3'] },
  [t('StudyDate')]: { vr: 'DA', Value: ['20200615'] },
  [t('NumberOfStudyRelatedInstances')]: { vr: 'IS', Value: [12] },
  [t('ModalitiesInStudy')]: { vr: 'CS', Value: ['CT', 'MR'] },
});
const context = { retrieveAeTitle: 'RAD_PACS', transferSyntaxUid: ILE };

describe('buildFindResponse', () => {
  it('holds exactly the requested keys, Query/Retrieve Level and Retrieve AE Title, valued from the record', () => {
    const q = query([
      { tag: 'QueryRetrieveLevel', value: 'STUDY' },
      { tag: 'PatientName', value: '' },
      { tag: 'StudyDate', value: '' },
      { tag: 'AccessionNumber', value: '' },
      { tag: 'ModalitiesInStudy', value: '' },
      { tag: 'NumberOfStudyRelatedInstances', value: '' },
      { tag: 'RetrieveAETitle', value: '' },
      { tag: 'PatientComments', value: '' },
    ]);
    const out = response(buildFindResponse(q, study('Doe^Jane'), context));
    expect([...out].map((e) => e.tag)).toEqual(
      [
        'QueryRetrieveLevel',
        'PatientName',
        'StudyDate',
        'AccessionNumber',
        'ModalitiesInStudy',
        'NumberOfStudyRelatedInstances',
        'RetrieveAETitle',
        'PatientComments',
        'StudyInstanceUID',
      ]
        .map(tagOf)
        .sort((a, b) => a - b),
    );
    expect(out.string('QueryRetrieveLevel')).toBe('STUDY');
    expect(out.string('PatientName')).toBe('Doe^Jane');
    expect(out.strings('ModalitiesInStudy')).toEqual(['CT', 'MR']);
    expect(out.number('NumberOfStudyRelatedInstances')).toBe(12);
    expect(out.string('RetrieveAETitle')).toBe('RAD_PACS');
    expect(out.string('StudyInstanceUID')).toBe('1.2.3');
    // Absent from the record, or not supported: present with zero length.
    expect(out.get('AccessionNumber')?.length).toBe(0);
    expect(out.get('PatientComments')?.length).toBe(0);
    // Plain ASCII, nothing asked: no Specific Character Set; the birth date was not asked for.
    expect(out.has('SpecificCharacterSet')).toBe(false);
    expect(out.has('PatientBirthDate')).toBe(false);
  });

  it.each([
    [[], 'Müller^Jürgen', ['ISO_IR 100']],
    [[], '山田^太郎', ['ISO_IR 192']],
    [['ISO_IR 192'], 'Doe^Jane', ['ISO_IR 192']],
    [['ISO_IR 100'], 'Müller^Jürgen', ['ISO_IR 100']],
    [['ISO_IR 100'], 'Δημήτρης', ['ISO_IR 192']],
    [['ISO_IR 126'], 'Δημήτρης', ['ISO_IR 126']],
    [['', 'ISO 2022 IR 87'], 'Yamada^Tarou=山田^太郎', ['', 'ISO 2022 IR 87']],
    [['', 'ISO 2022 IR 87'], '홍^길동', ['ISO_IR 192']],
    [['GB18030'], '张^小东', ['ISO_IR 192']],
  ])('asked %j, writes %s in %j', (asked, name, written) => {
    const q = query([
      ...(asked.length > 0 ? [{ tag: 'SpecificCharacterSet', value: asked }] : []),
      { tag: 'QueryRetrieveLevel', value: 'STUDY' },
      { tag: 'PatientName', value: '' },
    ]);
    const out = response(buildFindResponse(q, study(name), context));
    expect(out.strings('SpecificCharacterSet')).toEqual(written);
    expect(out.string('PatientName')).toBe(name);
  });

  it('writes binary numbers, and every length, in the byte order of the transfer syntax', () => {
    const q = query([
      { tag: 'QueryRetrieveLevel', value: 'IMAGE' },
      { tag: 'StudyInstanceUID', value: '1.2.3' },
      { tag: 'SeriesInstanceUID', value: '1.2.3.4' },
      { tag: 'Rows', value: 0 },
      { tag: 'InstanceNumber', value: '' },
    ]);
    const record = {
      ...study('Doe'),
      [t('Rows')]: { vr: 'US' as const, Value: [512] },
      [t('InstanceNumber')]: { vr: 'IS' as const, Value: [7] },
    };
    const out = response(buildFindResponse(q, record, { ...context, transferSyntaxUid: EBE }), EBE);
    expect(out.number('Rows')).toBe(512);
    expect(out.number('InstanceNumber')).toBe(7);
    expect(out.string('QueryRetrieveLevel')).toBe('IMAGE');
  });

  it('fills the patient counts it is given at PATIENT level', () => {
    const q = query(
      [
        { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
        { tag: 'PatientID', value: '' },
        { tag: 'NumberOfPatientRelatedStudies', value: '' },
        { tag: 'NumberOfPatientRelatedInstances', value: '' },
      ],
      QueryRetrieveSopClass.PatientRootFind,
    );
    const out = response(buildFindResponse(q, study('Doe'), context, { studies: 2, series: 3, instances: 40 }));
    expect(out.number('NumberOfPatientRelatedStudies')).toBe(2);
    expect(out.number('NumberOfPatientRelatedInstances')).toBe(40);
    expect(out.has('NumberOfPatientRelatedSeries')).toBe(false);
  });

  describe('extra attributes and sequences', () => {
    const extras = extraKeyLevels(
      checkExtraAttributes([
        { attribute: 'ProtocolName', level: 'series' },
        { attribute: 'ReferencedSeriesSequence', level: 'series' },
      ]),
    );
    const request = (procedure: string, step: string, accession: string): DicomJsonDataset => ({
      [t('AccessionNumber')]: { vr: 'SH', Value: [accession] },
      [t('RequestedProcedureID')]: { vr: 'SH', Value: [procedure] },
      [t('ScheduledProcedureStepID')]: { vr: 'SH', Value: [step] },
    });
    const series: DicomJsonDataset = {
      ...study('Doe'),
      [t('SeriesInstanceUID')]: { vr: 'UI', Value: ['1.2.3.4'] },
      [t('ProtocolName')]: { vr: 'LO', Value: ['CHEST HR'] },
      [t('RequestAttributesSequence')]: {
        vr: 'SQ',
        Value: [request('RP1', 'SPS1', 'A1'), request('RP2', 'SPS2', 'A2'), request('RP2', 'SPS3', 'A3')],
      },
      [t('ReferencedSeriesSequence')]: {
        vr: 'SQ',
        Value: [
          {
            [t('SeriesInstanceUID')]: { vr: 'UI', Value: ['9.8.7'] },
            [t('ReferencedInstanceSequence')]: {
              vr: 'SQ',
              Value: [{ [t('ReferencedSOPInstanceUID')]: { vr: 'UI', Value: ['9.8.7.1'] } }],
            },
          },
        ],
      },
    };
    const seriesQuery = (elements: TestElement[]) =>
      query(
        [{ tag: 'QueryRetrieveLevel', value: 'SERIES' }, { tag: 'StudyInstanceUID', value: '1.2.3' }, ...elements],
        QueryRetrieveSopClass.StudyRootFind,
        extras,
      );
    const items = (out: DicomDataset, keyword: string) =>
      out.items(keyword).map((item) => [...item].map((e) => [e.tag, item.strings(e.tag).join('\\')]));

    it("returns an extra attribute's value from the record", () => {
      const out = response(buildFindResponse(seriesQuery([{ tag: 'ProtocolName', value: 'CHEST*' }]), series, context));
      expect(out.string('ProtocolName')).toBe('CHEST HR');
    });

    it.each([
      ['Explicit VR Big Endian', EBE],
      ['Implicit VR Little Endian', ILE],
    ])('returns the matching items of a sequence key, cut down to its item keys, in %s', (_, transferSyntaxUid) => {
      const q = seriesQuery([
        {
          tag: 'RequestAttributesSequence',
          value: [
            [
              { tag: 'RequestedProcedureID', value: 'RP2' },
              { tag: 'ScheduledProcedureStepID', value: '' },
              { tag: 'RequestedProcedureDescription', value: '' },
            ],
          ],
        },
        { tag: 'Modality', value: '' },
      ]);
      const out = response(buildFindResponse(q, series, { ...context, transferSyntaxUid }), transferSyntaxUid);
      // Both items of RP2, without their Accession Number; the description they lack, zero length.
      expect(items(out, 'RequestAttributesSequence')).toEqual(
        ['SPS2', 'SPS3'].map((step) => [
          [tagOf('RequestedProcedureDescription'), ''],
          [tagOf('ScheduledProcedureStepID'), step],
          [tagOf('RequestedProcedureID'), 'RP2'],
        ]),
      );
      // The elements after the sequence are read where they are: its length is right.
      expect(out.get('Modality')?.length).toBe(0);
      expect(out.string('SeriesInstanceUID')).toBe('1.2.3.4');
    });

    it('returns the entire sequence for a key with an empty item, nested sequences included', () => {
      const q = seriesQuery([{ tag: 'ReferencedSeriesSequence', value: [[]] }]);
      const out = response(buildFindResponse(q, series, context));
      const [item] = out.items('ReferencedSeriesSequence');
      expect(item?.string('SeriesInstanceUID')).toBe('9.8.7');
      expect(item?.items('ReferencedInstanceSequence').map((i) => i.string('ReferencedSOPInstanceUID'))).toEqual([
        '9.8.7.1',
      ]);
    });

    it('cuts a nested sequence down to its own item keys', () => {
      const q = seriesQuery([
        {
          tag: 'ReferencedSeriesSequence',
          value: [[{ tag: 'ReferencedInstanceSequence', value: [[{ tag: 'ReferencedSOPClassUID', value: '' }]] }]],
        },
      ]);
      const out = response(buildFindResponse(q, series, context));
      const [item] = out.items('ReferencedSeriesSequence');
      expect([...item!].map((e) => e.tag)).toEqual([tagOf('ReferencedInstanceSequence')]);
      const [nested] = item!.items('ReferencedInstanceSequence');
      expect([...nested!].map((e) => [e.tag, e.length])).toEqual([[tagOf('ReferencedSOPClassUID'), 0]]);
    });

    it('writes a zero-length sequence when the record has none', () => {
      const q = seriesQuery([{ tag: 'RequestAttributesSequence', value: [] }]);
      const { [t('RequestAttributesSequence')]: _, ...without } = series;
      const out = response(buildFindResponse(q, without, context));
      expect(out.has('RequestAttributesSequence')).toBe(true);
      expect(out.items('RequestAttributesSequence')).toEqual([]);
    });
  });
});
