import { readFileSync } from 'node:fs';
import { readDataset } from './dataset-reader';
import type { DicomDataset } from './dicom-dataset';
import { DicomAttributeError, DicomParseError, storeFailureStatus } from './dicom.errors';
import { tagOf } from './dictionary';
import {
  createIndexAttributeExtractor,
  extractIndexAttributes,
  INDEX_KEYWORDS,
  readInstanceIdentity,
} from './index-attributes';
import { readPart10 } from './part10';
import { formatTag, PIXEL_DATA_TAG } from './tag';
import { ctInstanceElements, encodeDataset, pydicomPath, pydicomReference, type TestElement } from './testing';

const key = (keyword: string): string => formatTag(tagOf(keyword));

function datasetOf(elements: readonly TestElement[]): DicomDataset {
  const read = readDataset(encodeDataset(elements, '1.2.840.10008.1.2'), { untilTag: PIXEL_DATA_TAG });
  if (read.status !== 'complete') throw new Error('incomplete');
  return read.dataset;
}

function attributeError(fn: () => unknown): DicomAttributeError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof DicomAttributeError)) throw error;
    return error;
  }
  throw new Error('expected a DicomAttributeError');
}

const ct = {
  studyInstanceUid: '1.2.826.0.1.3680043.8.1055.1.1',
  seriesInstanceUid: '1.2.826.0.1.3680043.8.1055.1.1.2',
  sopInstanceUid: '1.2.826.0.1.3680043.8.1055.1.1.2.3',
  instanceNumber: 17,
  patientName: 'Doe^Jane^^Mrs',
};

describe('index attributes', () => {
  it('extracts the index attributes of a CT image as DICOM JSON', () => {
    const attributes = extractIndexAttributes(datasetOf(ctInstanceElements(ct)));
    expect(attributes).toEqual({
      [key('SpecificCharacterSet')]: { vr: 'CS', Value: ['ISO_IR 100'] },
      [key('SOPClassUID')]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
      [key('SOPInstanceUID')]: { vr: 'UI', Value: [ct.sopInstanceUid] },
      [key('StudyDate')]: { vr: 'DA', Value: ['20260315'] },
      [key('SeriesDate')]: { vr: 'DA', Value: ['20260315'] },
      [key('ContentDate')]: { vr: 'DA', Value: ['20260315'] },
      [key('AcquisitionDateTime')]: { vr: 'DT', Value: ['20260315101455.250000'] },
      [key('StudyTime')]: { vr: 'TM', Value: ['101022'] },
      [key('SeriesTime')]: { vr: 'TM', Value: ['101455'] },
      [key('ContentTime')]: { vr: 'TM', Value: ['101502'] },
      [key('AccessionNumber')]: { vr: 'SH', Value: ['ACC0001'] },
      [key('Modality')]: { vr: 'CS', Value: ['CT'] },
      [key('ReferringPhysicianName')]: { vr: 'PN', Value: [{ Alphabetic: 'House^Gregory^^Dr' }] },
      [key('StudyDescription')]: { vr: 'LO', Value: ['CT THORAX ABDOMEN WITH CONTRAST'] },
      [key('SeriesDescription')]: { vr: 'LO', Value: ['Abdomen 1.25mm'] },
      [key('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane^^Mrs' }] },
      [key('PatientID')]: { vr: 'LO', Value: ['PAT0001'] },
      [key('IssuerOfPatientID')]: { vr: 'LO', Value: ['HOSPITAL'] },
      [key('PatientBirthDate')]: { vr: 'DA', Value: ['19600101'] },
      [key('PatientSex')]: { vr: 'CS', Value: ['M'] },
      [key('BodyPartExamined')]: { vr: 'CS', Value: ['ABDOMEN'] },
      [key('StudyInstanceUID')]: { vr: 'UI', Value: [ct.studyInstanceUid] },
      [key('SeriesInstanceUID')]: { vr: 'UI', Value: [ct.seriesInstanceUid] },
      [key('StudyID')]: { vr: 'SH', Value: ['4711'] },
      [key('SeriesNumber')]: { vr: 'IS', Value: [3] },
      [key('InstanceNumber')]: { vr: 'IS', Value: [17] },
      [key('PhotometricInterpretation')]: { vr: 'CS', Value: ['MONOCHROME2'] },
      [key('Rows')]: { vr: 'US', Value: [512] },
      [key('Columns')]: { vr: 'US', Value: [512] },
      [key('BitsAllocated')]: { vr: 'US', Value: [16] },
    });
  });

  it('covers every level, computed aggregates excepted', () => {
    expect(INDEX_KEYWORDS.study).not.toContain('ModalitiesInStudy');
    expect(Object.values(INDEX_KEYWORDS).flat()).toEqual(
      expect.arrayContaining([
        'PatientID',
        'StudyInstanceUID',
        'SeriesInstanceUID',
        'SOPInstanceUID',
        'NumberOfFrames',
      ]),
    );
  });

  it('indexes the requests a series answers (RequestAttributesSequence) with their items', () => {
    const request = (procedure: string, step: string): TestElement[] => [
      { tag: 'RequestedProcedureID', value: procedure },
      { tag: 'ScheduledProcedureStepID', value: step },
    ];
    const elements: TestElement[] = [
      ...ctInstanceElements(ct),
      { tag: 'RequestAttributesSequence', value: [request('RP1', 'SPS1'), request('RP2', 'SPS2')] },
    ];
    expect(INDEX_KEYWORDS.series).toContain('RequestAttributesSequence');
    expect(extractIndexAttributes(datasetOf(elements))[key('RequestAttributesSequence')]).toEqual({
      vr: 'SQ',
      Value: [
        {
          [key('RequestedProcedureID')]: { vr: 'SH', Value: ['RP1'] },
          [key('ScheduledProcedureStepID')]: { vr: 'SH', Value: ['SPS1'] },
        },
        {
          [key('RequestedProcedureID')]: { vr: 'SH', Value: ['RP2'] },
          [key('ScheduledProcedureStepID')]: { vr: 'SH', Value: ['SPS2'] },
        },
      ],
    });
  });

  it('indexes extra keywords, sequences included, and refuses unknown ones at creation', () => {
    const extract = createIndexAttributeExtractor({
      extraKeywords: ['ImageType', 'ProcedureCodeSequence', 'PatientID'],
    });
    const attributes = extract(datasetOf(ctInstanceElements(ct)));
    expect(attributes[key('ImageType')]).toEqual({ vr: 'CS', Value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] });
    expect(attributes[key('ProcedureCodeSequence')]!.Value).toEqual([
      {
        [key('CodeValue')]: { vr: 'SH', Value: ['CTTA'] },
        [key('CodingSchemeDesignator')]: { vr: 'SH', Value: ['L'] },
        [key('CodeMeaning')]: { vr: 'LO', Value: ['CT thorax abdomen'] },
      },
    ]);
    expect(() => createIndexAttributeExtractor({ extraKeywords: ['PatientsName'] })).toThrow(/PatientsName/);
  });

  it('keeps the Japanese name groups of a real file (PS3.5 H.3.1)', () => {
    const read = readPart10(readFileSync(pydicomPath('charset_files/chrH31.dcm')), { untilTag: PIXEL_DATA_TAG });
    if (read.status !== 'complete') throw new Error('incomplete');
    expect(extractIndexAttributes(read.dataset)[key('PatientName')]).toEqual({
      vr: 'PN',
      Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }],
    });
  });

  it("extracts pydicom's view of a real CT", () => {
    const file = 'test_files/CT_small.dcm';
    const theirs = pydicomReference()[file]!;
    const read = readPart10(readFileSync(pydicomPath(file)), { untilTag: PIXEL_DATA_TAG });
    if (read.status !== 'complete') throw new Error('incomplete');
    const attributes = extractIndexAttributes(read.dataset);
    expect(attributes[key('StudyInstanceUID')]!.Value).toEqual([theirs.StudyInstanceUID]);
    expect(attributes[key('SOPInstanceUID')]!.Value).toEqual([theirs.SOPInstanceUID]);
    expect(attributes[key('PatientName')]!.Value).toEqual([{ Alphabetic: theirs.PatientName }]);
    for (const [tag, attribute] of Object.entries(attributes)) expect(attribute).toEqual(theirs.json![tag]);
  });
});

describe('instance identity (PS3.4 B.2.3: A900 when it does not match the SOP Class)', () => {
  const withUid = (keyword: string, value: string | undefined): TestElement[] =>
    ctInstanceElements(ct)
      .filter((e) => e.tag !== keyword)
      .concat(value === undefined ? [] : [{ tag: keyword, value }]);

  it('reads the four identifying UIDs', () => {
    expect(readInstanceIdentity(datasetOf(ctInstanceElements(ct)))).toEqual({
      studyInstanceUid: ct.studyInstanceUid,
      seriesInstanceUid: ct.seriesInstanceUid,
      sopInstanceUid: ct.sopInstanceUid,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    });
  });

  it.each(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'SOPClassUID'])(
    'refuses a missing or empty %s',
    (keyword) => {
      for (const value of [undefined, '', '  ']) {
        const error = attributeError(() => extractIndexAttributes(datasetOf(withUid(keyword, value))));
        expect(error).toMatchObject({ code: 'MISSING_ATTRIBUTE', keyword, retriable: false });
        expect(storeFailureStatus(error)).toEqual({ dimseStatus: 0xa900, failureReason: 0xa900 });
      }
    },
  );

  it('refuses a malformed UID, naming the attribute', () => {
    const error = attributeError(() => extractIndexAttributes(datasetOf(withUid('SeriesInstanceUID', '1.2.03.4'))));
    expect(error).toMatchObject({ code: 'INVALID_UID', keyword: 'SeriesInstanceUID', tag: tagOf('SeriesInstanceUID') });
    expect(error.message).toContain('1.2.03.4');
  });

  it('maps parse errors to C000 and an unsupported syntax to C122 for STOW', () => {
    expect(storeFailureStatus(new DicomParseError('TRUNCATED', 'cut', 10))).toEqual({
      dimseStatus: 0xc000,
      failureReason: 0xc000,
    });
    expect(storeFailureStatus(new DicomParseError('UNSUPPORTED_TRANSFER_SYNTAX', 'x', 0))).toEqual({
      dimseStatus: 0xc000,
      failureReason: 0xc122,
    });
    expect(storeFailureStatus(new Error('disk full'))).toBeUndefined();
  });
});
