import { formatTag, readDataset, tagOf, type DicomDataset, type DicomJsonDataset } from '@pacs/dicom';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';
import { DimseStatus, DimseStatusError } from '@pacs/dimse';
import { QueryRetrieveSopClass } from '@pacs/ingest';
import { checkExtraAttributes, combineDateTimeKeys, extraKeyLevels, matchKey } from '@pacs/metadata-index';
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

describe('parseFindQuery with extra attributes and sequences', () => {
  // A tenant's extras: ProtocolName on series, ImageType on instances, PatientComments and
  // ReferencedStudySequence on studies.
  const extras = extraKeyLevels(
    checkExtraAttributes([
      { attribute: 'ProtocolName', level: 'series' },
      { attribute: 'ImageType', level: 'instance' },
      { attribute: 'PatientComments', level: 'study' },
      { attribute: 'ReferencedStudySequence', level: 'study' },
    ]),
  );
  const t = (keyword: string) => formatTag(tagOf(keyword));
  const sources = (query: ReturnType<typeof parseFindQuery>) => query.returnKeys.map((k) => [k.tag, k.source]);

  it("matches and returns the tenant's extra attributes at their level and below, not above", () => {
    const series = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'SERIES' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        { tag: 'ImageType', value: 'DERIVED' },
        { tag: 'PatientComments', value: '' },
        { tag: 'ProtocolName', value: 'CHEST*' },
      ]),
      extras,
    );
    expect(series.keys.map((k) => [k.keyword, k.match])).toEqual([
      ['PatientComments', { kind: 'universal' }],
      ['ProtocolName', { kind: 'wildcard', pattern: 'CHEST*' }],
    ]);
    // ImageType is an instance attribute: it cannot select series (FF01, returned empty).
    expect(series.optionalKeysNotSupported).toBe(true);
    expect(sources(series)).toEqual(
      [
        [tagOf('ImageType'), 'unsupported'],
        [tagOf('StudyInstanceUID'), 'record'],
        [tagOf('PatientComments'), 'record'],
        [tagOf('ProtocolName'), 'record'],
        [tagOf('SeriesInstanceUID'), 'record'],
      ].sort(([a], [b]) => Number(a) - Number(b)),
    );
    const image = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'IMAGE' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        { tag: 'SeriesInstanceUID', value: '1.2.3.4' },
        { tag: 'ImageType', value: 'DERIVED' },
      ]),
      extras,
    );
    expect(image.optionalKeysNotSupported).toBe(false);
    expect(image.keys).toEqual([
      { tag: tagOf('ImageType'), keyword: 'ImageType', vr: 'CS', match: { kind: 'single', value: 'DERIVED' } },
    ]);
  });

  it('keeps the patient attributes alone at PATIENT level: a study extra is a STUDY key there', () => {
    const elements = (level: string) =>
      identifier([
        { tag: 'QueryRetrieveLevel', value: level },
        { tag: 'PatientComments', value: 'VIP' },
        { tag: 'PatientID', value: 'P1' },
      ]);
    const patients = parseFindQuery(PATIENT_ROOT, elements('PATIENT'), extras);
    expect(patients.optionalKeysNotSupported).toBe(true);
    expect(patients.keys.map((k) => k.keyword)).toEqual(['PatientID']);
    const studies = parseFindQuery(PATIENT_ROOT, elements('STUDY'), extras);
    expect(studies.optionalKeysNotSupported).toBe(false);
    expect(studies.keys.map((k) => [k.keyword, k.match])).toEqual([
      ['PatientID', { kind: 'single', value: 'P1' }],
      ['PatientComments', { kind: 'single', value: 'VIP' }],
    ]);
  });

  it('makes an SQ key of one item a sequence key of its item keys, and returns those', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'SERIES' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        {
          tag: 'RequestAttributesSequence',
          value: [
            [
              { tag: 'RequestedProcedureID', value: 'RP1' },
              { tag: 'ScheduledProcedureStepID', value: '' },
              { tag: 'ScheduledProcedureStepStartDate', value: '20200101-' },
            ],
          ],
        },
      ]),
    );
    expect(query.optionalKeysNotSupported).toBe(false);
    const itemKeys = [
      ['ScheduledProcedureStepStartDate', { kind: 'range', vr: 'DA', from: '20200101' }],
      ['ScheduledProcedureStepID', { kind: 'universal' }],
      ['RequestedProcedureID', { kind: 'single', value: 'RP1' }],
    ];
    const sequence = query.keys.find((k) => k.tag === tagOf('RequestAttributesSequence'))!;
    expect(sequence.match.kind).toBe('sequence');
    const items = sequence.match.kind === 'sequence' ? sequence.match.items : [];
    expect(items.map((k) => [k.keyword, k.match])).toEqual(itemKeys);
    const returned = query.returnKeys.find((k) => k.tag === tagOf('RequestAttributesSequence'))!;
    expect(returned).toMatchObject({ vr: 'SQ', source: 'record', sequence: { match: sequence.match } });
    const cut = returned.sequence?.itemKeys;
    expect(cut === 'all' ? cut : cut?.map((k) => [k.tag, k.vr, k.source])).toEqual([
      [tagOf('ScheduledProcedureStepStartDate'), 'DA', 'record'],
      [tagOf('ScheduledProcedureStepID'), 'SH', 'record'],
      [tagOf('RequestedProcedureID'), 'SH', 'record'],
    ]);
    // The item keys select items, all of them in the same item (PS3.4 C.2.2.2.6).
    const record = (items: Array<[procedure: string, date: string]>): DicomJsonDataset => ({
      [t('RequestAttributesSequence')]: {
        vr: 'SQ',
        Value: items.map(([procedure, date]) => ({
          [t('RequestedProcedureID')]: { vr: 'SH', Value: [procedure] },
          [t('ScheduledProcedureStepStartDate')]: { vr: 'DA', Value: [date] },
        })),
      },
    });
    expect(matchKey(sequence, record([['RP1', '20200301']]))).toBe(true);
    expect(
      matchKey(
        sequence,
        record([
          ['RP1', '20191231'],
          ['RP2', '20200301'],
        ]),
      ),
    ).toBe(false);
  });

  it.each([
    ['no item', []],
    ['an empty item', [[]]],
  ])('takes a sequence with %s as a return key: every record, the entire sequence', (_, value) => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'ReferencedStudySequence', value },
      ]),
      extras,
    );
    expect(query.optionalKeysNotSupported).toBe(false);
    const match = { kind: 'sequence', items: [] };
    expect(query.keys).toEqual([
      { tag: tagOf('ReferencedStudySequence'), keyword: 'ReferencedStudySequence', vr: 'SQ', match },
    ]);
    expect(query.returnKeys[0]).toEqual({
      tag: tagOf('ReferencedStudySequence'),
      vr: 'SQ',
      source: 'record',
      sequence: { match, itemKeys: 'all' },
    });
    expect(matchKey(query.keys[0]!, {})).toBe(true);
  });

  it('leaves a sequence the index does not hold to FF01, and a binary item key too', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'SERIES' },
        { tag: 'StudyInstanceUID', value: '1.2.3' },
        {
          tag: 'ReferencedPerformedProcedureStepSequence',
          value: [[{ tag: 'ReferencedSOPInstanceUID', value: '1.2' }]],
        },
        {
          tag: 'RequestAttributesSequence',
          value: [
            [
              { tag: 'RequestedProcedureID', value: 'RP1' },
              { tag: 'ReferencedSOPInstanceUID', value: '' },
              { tag: '00091001', vr: 'OB', value: Buffer.from([1, 2]) },
            ],
          ],
        },
      ]),
    );
    expect(query.optionalKeysNotSupported).toBe(true);
    expect(query.keys.map((k) => k.keyword)).toEqual(['RequestAttributesSequence']);
    const requests = query.keys[0]!.match;
    expect(requests.kind === 'sequence' ? requests.items.map((k) => k.keyword) : []).toEqual([
      'ReferencedSOPInstanceUID',
      'RequestedProcedureID',
    ]);
    expect(sources(query)).toContainEqual([tagOf('ReferencedPerformedProcedureStepSequence'), 'unsupported']);
    const itemKeys = query.returnKeys.find((k) => k.tag === tagOf('RequestAttributesSequence'))?.sequence?.itemKeys;
    expect(itemKeys === 'all' ? [] : itemKeys?.map((k) => [k.tag, k.source])).toEqual([
      [tagOf('ReferencedSOPInstanceUID'), 'record'],
      [0x00091001, 'unsupported'],
      [tagOf('RequestedProcedureID'), 'record'],
    ]);
  });

  it('answers C000 for a sequence key of several items, and names the item key whose value is bad', () => {
    const severalItems = failure(() =>
      parseFindQuery(
        STUDY_ROOT,
        identifier([
          { tag: 'QueryRetrieveLevel', value: 'SERIES' },
          { tag: 'StudyInstanceUID', value: '1.2.3' },
          {
            tag: 'RequestAttributesSequence',
            value: [[{ tag: 'RequestedProcedureID', value: 'RP1' }], [{ tag: 'RequestedProcedureID', value: 'RP2' }]],
          },
        ]),
      ),
    );
    expect(severalItems).toMatchObject({
      status: DimseStatus.UnableToProcess,
      errorComment: 'RequestAttributesSequence (0040,0275) holds 2 items, not one',
      offendingElement: [tagOf('RequestAttributesSequence')],
    });
    const badDate = failure(() =>
      parseFindQuery(
        STUDY_ROOT,
        identifier([
          { tag: 'QueryRetrieveLevel', value: 'SERIES' },
          { tag: 'StudyInstanceUID', value: '1.2.3' },
          { tag: 'RequestAttributesSequence', value: [[{ tag: 'ScheduledProcedureStepStartDate', value: '2020' }]] },
        ]),
      ),
    );
    expect(badDate.status).toBe(DimseStatus.UnableToProcess);
    expect(badDate.errorComment).toMatch(/^ScheduledProcedureStepStartDate \(0040,0002\): /);
    expect(badDate.offendingElement).toEqual([
      tagOf('RequestAttributesSequence'),
      tagOf('ScheduledProcedureStepStartDate'),
    ]);
  });

  it('matches a StudyDate range and a StudyTime range each on its own: no combined date-time matching', () => {
    const query = parseFindQuery(
      STUDY_ROOT,
      identifier([
        { tag: 'QueryRetrieveLevel', value: 'STUDY' },
        { tag: 'StudyDate', value: '20200101-20200102' },
        { tag: 'StudyTime', value: '1000-1200' },
      ]),
    );
    expect(query.keys.map((k) => [k.keyword, k.match])).toEqual([
      ['StudyDate', { kind: 'range', vr: 'DA', from: '20200101', to: '20200102' }],
      ['StudyTime', { kind: 'range', vr: 'TM', from: '1000', to: '1200' }],
    ]);
    const study = (date: string, time: string): DicomJsonDataset => ({
      [t('StudyDate')]: { vr: 'DA', Value: [date] },
      [t('StudyTime')]: { vr: 'TM', Value: [time] },
    });
    const separately = (record: DicomJsonDataset) => query.keys.every((key) => matchKey(key, record));
    const combined = (record: DicomJsonDataset) =>
      combineDateTimeKeys(query.keys).every((key) => matchKey(key, record));
    // 2020-01-01 13:00 is within 2020-01-01 10:00 to 2020-01-02 12:00, but 13:00 is not 10:00-12:00.
    expect(combined(study('20200101', '1300'))).toBe(true);
    expect(separately(study('20200101', '1300'))).toBe(false);
    expect(separately(study('20200102', '1100'))).toBe(true);
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
