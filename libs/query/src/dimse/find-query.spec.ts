import { readDataset, tagOf, type DicomDataset } from '@pacs/dicom';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';
import { DimseStatus, DimseStatusError } from '@pacs/dimse';
import { QueryRetrieveSopClass } from '@pacs/ingest';
import { parseFindQuery } from './find-query';
import { parseRetrieveQuery } from './retrieve-query';

const STUDY_ROOT = QueryRetrieveSopClass.StudyRootFind;
const PATIENT_ROOT = QueryRetrieveSopClass.PatientRootFind;

function identifier(elements: TestElement[], stringEncoding: 'latin1' | 'utf8' = 'latin1'): DicomDataset {
  const read = readDataset(encodeDataset(elements, '1.2.840.10008.1.2', { stringEncoding }));
  if (read.status !== 'complete') throw new Error('unreadable');
  return read.dataset;
}

/** The DimseStatusError a call throws. */
function failure(fn: () => unknown): DimseStatusError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DimseStatusError) return error;
    throw error;
  }
  throw new Error('expected a DimseStatusError');
}

describe('parseFindQuery', () => {
  it('maps Study Root STUDY level keys to index keys, return keys in order, patient attributes at study level', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'PatientName', value: 'Doe*' },
        { tag: 'PatientID', value: '' },
        { tag: 'StudyDate', value: '20200101-20201231' },
        { tag: 'ModalitiesInStudy', value: 'CT' },
        { tag: 'StudyInstanceUID', value: '' },
        { tag: 'RetrieveAETitle', value: '' },
      ]),
    );
    expect(query).toMatchObject({ model: 'study-root', level: 'STUDY', scope: {}, optionalKeysNotSupported: false });
    // In tag order, as the identifier holds them; Retrieve AE Title is ours to fill, not a key.
    expect(query.keys.map((k) => [k.keyword, k.match])).toEqual([
      ['StudyDate', { kind: 'range', vr: 'DA', from: '20200101', to: '20201231' }],
      ['ModalitiesInStudy', { kind: 'single', value: 'CT' }],
      ['PatientName', { kind: 'wildcard', pattern: 'Doe*' }],
      ['PatientID', { kind: 'universal' }],
      ['StudyInstanceUID', { kind: 'universal' }],
    ]);
    expect(query.returnKeys.map((k) => [k.tag, k.source])).toEqual([
      [tagOf('StudyDate'), 'record'],
      [tagOf('RetrieveAETitle'), 'retrieve-ae-title'],
      [tagOf('ModalitiesInStudy'), 'record'],
      [tagOf('PatientName'), 'record'],
      [tagOf('PatientID'), 'record'],
      [tagOf('StudyInstanceUID'), 'record'],
    ]);
  });

  it('takes the unique keys of the levels above as the scope of the search (hierarchical search)', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'IMAGE' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        { tag: 'SeriesInstanceUID', value: '1.2.3.4' },
        { tag: 'SOPInstanceUID', value: '' },
        { tag: 'InstanceNumber', value: '' },
      ]),
    );
    expect(query.scope).toEqual({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4' });
    expect(query.keys.map((k) => k.keyword)).toEqual(['SOPInstanceUID', 'InstanceNumber']);
    expect(query.returnKeys.map((k) => k.tag)).toEqual(
      ['StudyInstanceUID', 'SeriesInstanceUID', 'InstanceNumber', 'SOPInstanceUID'].map(tagOf).sort((a, b) => a - b),
    );
  });

  it('in Patient Root, needs the Patient ID above STUDY level and matches on it', () => {
    const query = parseFindQuery(
      PATIENT_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'PatientID', value: 'P1' },
        { tag: 'StudyInstanceUID', value: '' },
      ]),
    );
    expect(query.keys.map((k) => [k.keyword, k.match])).toEqual([
      ['PatientID', { kind: 'single', value: 'P1' }],
      ['StudyInstanceUID', { kind: 'universal' }],
    ]);
    const missing = failure(() =>
      parseFindQuery(
        PATIENT_ROOT,
        identifier([
          { tag: 'QueryRetrieveLevel', value: 'STUDY' },
          { tag: 'StudyDate', value: '' },
        ]),
      ),
    );
    expect(missing.status).toBe(DimseStatus.IdentifierDoesNotMatchSopClass);
    expect(missing.errorComment).toBe('PatientID (0010,0020) needs one value at STUDY level');
    expect(missing.offendingElement).toEqual([tagOf('PatientID')]);
  });

  it('answers A900 naming (0008,0052) when Query/Retrieve Level is missing or not a level of the model', () => {
    const missing = failure(() => parseFindQuery(STUDY_ROOT, identifier([{ tag: 'PatientID', value: '' }])));
    expect(missing).toMatchObject({
      status: 0xa900,
      errorComment: 'Query/Retrieve Level (0008,0052) is missing',
      offendingElement: [0x00080052],
    });
    const patientInStudyRoot = failure(() =>
      parseFindQuery(STUDY_ROOT, identifier([{ tag: 'QueryRetrieveLevel', value: 'PATIENT' }])),
    );
    expect(patientInStudyRoot.errorComment).toBe('Query/Retrieve Level "PATIENT" not in Study Root');
  });

  it('answers C000 naming the key when a value cannot be matched', () => {
    const bad = failure(() =>
      parseFindQuery(
        STUDY_ROOT,
        identifier([
          { tag: 'QueryRetrieveLevel', value: 'STUDY' },
          { tag: 'StudyDate', value: '2020-01-01' },
        ]),
      ),
    );
    expect(bad.status).toBe(DimseStatus.UnableToProcess);
    expect(bad.errorComment).toMatch(/^StudyDate \(0008,0020\): "2020-01-01" is neither a date/);
    expect(bad.offendingElement).toEqual([tagOf('StudyDate')]);
  });

  it('ignores for matching, and returns empty, the keys it does not support: FF01', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'PatientComments', value: 'anything' },
        { tag: 'Modality', value: 'CT' },
        { tag: 'ReferencedStudySequence', value: [] },
      ]),
    );
    expect(query.optionalKeysNotSupported).toBe(true);
    expect(query.keys).toEqual([]);
    expect(query.returnKeys.filter((k) => k.source === 'unsupported').map((k) => k.tag)).toEqual(
      ['ReferencedStudySequence', 'Modality', 'PatientComments'].map(tagOf).sort((a, b) => a - b),
    );
    // And the unique key of the level comes back even when not asked for.
    expect(query.returnKeys.some((k) => k.tag === tagOf('StudyInstanceUID'))).toBe(true);
  });

  it('reads the request values in the request character set', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier(
        [
          { tag: 'SpecificCharacterSet', value: 'ISO_IR 192' },
          { tag: 'QueryRetrieveLevel', value: 'STUDY' },
          { tag: 'PatientName', value: 'Müller*' },
        ],
        'utf8',
      ),
    );
    expect(query.characterSet).toEqual(['ISO_IR 192']);
    expect(query.keys[0]!.match).toEqual({ kind: 'wildcard', pattern: 'Müller*' });
  });

  it('offers the patient counts at PATIENT level of Patient Root', () => {
    const query = parseFindQuery(
      PATIENT_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
        { tag: 'PatientID', value: '' },
        { tag: 'NumberOfPatientRelatedStudies', value: '' },
      ]),
    );
    expect(query.returnKeys.map((k) => k.source)).toEqual(['record', 'patient-count']);
    expect(query.optionalKeysNotSupported).toBe(false);
  });
});

describe('parseRetrieveQuery', () => {
  const MOVE = QueryRetrieveSopClass.StudyRootMove;

  it('reads a list of study UIDs at STUDY level', () => {
    const query = parseRetrieveQuery(
      MOVE,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'StudyInstanceUID', value: ['1.2.3', '1.2.4'] },
      ]),
    );
    expect(query.scopes).toEqual([{ studyInstanceUid: '1.2.3' }, { studyInstanceUid: '1.2.4' }]);
  });

  it('reads instance UIDs under their study and series at IMAGE level', () => {
    const query = parseRetrieveQuery(
      QueryRetrieveSopClass.PatientRootGet,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'IMAGE' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        { tag: 'SeriesInstanceUID', value: '1.2.3.1' },
        { tag: 'SOPInstanceUID', value: ['1.2.3.1.1', '1.2.3.1.2'] },
      ]),
    );
    expect(query.scopes).toEqual([
      { studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.1', sopInstanceUid: '1.2.3.1.1' },
      { studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.1', sopInstanceUid: '1.2.3.1.2' },
    ]);
  });

  it('reads the patient at PATIENT level of Patient Root', () => {
    const query = parseRetrieveQuery(
      QueryRetrieveSopClass.PatientRootMove,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'PATIENT' },
        { tag: 'PatientID', value: 'P1' },
      ]),
    );
    expect(query.patient).toEqual({ patientId: 'P1' });
  });

  it('answers A900 naming the missing unique key, C000 for what is not a UID', () => {
    expect(
      failure(() => parseRetrieveQuery(MOVE, identifier([{ tag: 'QueryRetrieveLevel', value: 'STUDY' }]))),
    ).toMatchObject({ status: 0xa900, errorComment: 'StudyInstanceUID (0020,000D) needs a value to retrieve' });
    expect(
      failure(() =>
        parseRetrieveQuery(
          MOVE,
          identifier([
            { tag: 'QueryRetrieveLevel', value: 'SERIES' },
            { tag: 'SeriesInstanceUID', value: '1.2' },
          ]),
        ),
      ),
    ).toMatchObject({ status: 0xa900, errorComment: 'StudyInstanceUID (0020,000D) needs one value at SERIES level' });
    expect(
      failure(() =>
        parseRetrieveQuery(
          MOVE,
          identifier([
            { tag: 'QueryRetrieveLevel', value: 'STUDY' },
            { tag: 'StudyInstanceUID', value: '1.2.*' },
          ]),
        ),
      ),
    ).toMatchObject({ status: 0xc000, offendingElement: [tagOf('StudyInstanceUID')] });
  });
});
