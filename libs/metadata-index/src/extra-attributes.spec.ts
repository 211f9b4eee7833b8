import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import {
  checkExtraAttributes,
  extraKeyLevels,
  pickExtraAttributes,
  withExtraAttributes,
  type ExtraAttribute,
} from './extra-attributes';
import { MetadataIndexError } from './metadata-index.errors';

const key = (keyword: string) => formatTag(tagOf(keyword));

function refusal(requested: unknown): MetadataIndexError {
  try {
    checkExtraAttributes(requested as never);
  } catch (error) {
    if (error instanceof MetadataIndexError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('checkExtraAttributes', () => {
  it('reads keywords and tags in hex, each with its level, as the dictionary has them', () => {
    expect(
      checkExtraAttributes([
        { attribute: 'ProtocolName', level: 'series' },
        { attribute: '00080008', level: 'instance' },
        { attribute: '00080080', level: 'study' },
        { attribute: 'ReferencedStudySequence', level: 'study' },
      ]),
    ).toEqual([
      { tag: '00181030', keyword: 'ProtocolName', vr: 'LO', level: 'series' },
      { tag: '00080008', keyword: 'ImageType', vr: 'CS', level: 'instance' },
      { tag: '00080080', keyword: 'InstitutionName', vr: 'LO', level: 'study' },
      { tag: '00081110', keyword: 'ReferencedStudySequence', vr: 'SQ', level: 'study' },
    ]);
    expect(checkExtraAttributes([])).toEqual([]);
  });

  it('takes as many attributes as given', () => {
    const many = ['ProtocolName', 'ImageType', 'InstitutionName', 'StationName', 'Manufacturer', 'KVP'];
    expect(checkExtraAttributes(many.map((attribute) => ({ attribute, level: 'instance' })))).toHaveLength(6);
  });

  it.each([
    [
      'an unknown keyword',
      [{ attribute: 'ProtocolNam', level: 'series' }],
      /attributes\[0\] "ProtocolNam": not a DICOM keyword/,
    ],
    [
      'an unknown tag',
      [{ attribute: '00091234', level: 'series' }],
      /attributes\[0\] "00091234": not a DICOM keyword or tag/,
    ],
    [
      'a level that is none',
      [{ attribute: 'ProtocolName', level: 'patient' }],
      /"ProtocolName": level "patient" is not study/,
    ],
    ['no level', [{ attribute: 'ProtocolName' }], /level undefined is not study/],
    ['no attribute', [{ level: 'series' }], /attributes\[0\]: "attribute" is not a keyword or tag/],
    ['an entry that is no object', ['ProtocolName'], /attributes\[0\]: expected/],
    ['a list that is none', { attribute: 'ProtocolName' }, /attributes: expected a list/],
    [
      'a duplicate, by keyword and tag',
      [
        { attribute: 'ProtocolName', level: 'series' },
        { attribute: '00181030', level: 'instance' },
      ],
      /attributes\[1\] "00181030": ProtocolName is listed twice/,
    ],
    [
      'an attribute indexed for every tenant',
      [{ attribute: 'BodyPartExamined', level: 'series' }],
      /indexed already, at series level/,
    ],
    ['a computed attribute', [{ attribute: 'ModalitiesInStudy', level: 'study' }], /indexed already, at study level/],
    ['Specific Character Set', [{ attribute: 'SpecificCharacterSet', level: 'instance' }], /describes the data set/],
    [
      'a sequence not supported',
      [{ attribute: 'ProcedureCodeSequence', level: 'study' }],
      /ProcedureCodeSequence is a sequence not indexed; the sequences that may be are ReferencedStudySequence, ReferencedSeriesSequence/,
    ],
    [
      'a supported sequence at another level',
      [{ attribute: 'ReferencedStudySequence', level: 'instance' }],
      /ReferencedStudySequence is indexed at study level/,
    ],
    [
      'a VR that is one of several',
      [{ attribute: 'SmallestImagePixelValue', level: 'instance' }],
      /more than one VR \(US or SS\)/,
    ],
    [
      'a file meta attribute',
      [{ attribute: 'TransferSyntaxUID', level: 'instance' }],
      /not an attribute of a data set/,
    ],
  ])('refuses %s, naming the entry', (_case, requested, message) => {
    const error = refusal(requested);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', retriable: false });
    expect(error.message).toMatch(message);
  });

  it('refuses binary VRs', () => {
    expect(refusal([{ attribute: 'EncapsulatedDocument', level: 'instance' }]).message).toMatch(
      /EncapsulatedDocument is of VR OB: bytes are not matched/,
    );
  });
});

describe('pickExtraAttributes and withExtraAttributes', () => {
  const extras: ExtraAttribute[] = checkExtraAttributes([
    { attribute: 'ProtocolName', level: 'series' },
    { attribute: 'ImageType', level: 'instance' },
  ]);
  const metadata: DicomJsonDataset = {
    [key('ProtocolName')]: { vr: 'LO', Value: ['ABD'] },
    [key('ImageType')]: { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY'] },
    [key('KVP')]: { vr: 'DS', Value: [120] },
  };

  it('picks the listed attributes a data set has', () => {
    expect(pickExtraAttributes(metadata, extras)).toEqual({
      [key('ImageType')]: { vr: 'CS', Value: ['ORIGINAL', 'PRIMARY'] },
      [key('ProtocolName')]: { vr: 'LO', Value: ['ABD'] },
    });
    expect(pickExtraAttributes({}, extras)).toEqual({});
  });

  it('adds to a record the listed attributes of its level only, keys in order', () => {
    const record = {
      [key('Modality')]: { vr: 'CS' as const, Value: ['CT'] },
      [key('SeriesNumber')]: { vr: 'IS' as const, Value: [1] },
    };
    const series = withExtraAttributes(record, 'series', metadata, extras);
    expect(Object.keys(series)).toEqual([key('Modality'), key('SeriesNumber'), key('ProtocolName')].sort());
    expect(withExtraAttributes(record, 'study', metadata, extras)).toBe(record);
    expect(withExtraAttributes(record, 'series', undefined, extras)).toBe(record);
    // A source picked with an older list keeps attributes no longer listed: they are not added.
    expect(withExtraAttributes(record, 'series', metadata, extras.slice(1))).toBe(record);
  });

  it('gives the level of each extra attribute by tag', () => {
    expect(extraKeyLevels(extras)).toEqual(
      new Map([
        [tagOf('ProtocolName'), 'series'],
        [tagOf('ImageType'), 'instance'],
      ]),
    );
  });
});
