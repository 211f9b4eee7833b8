import { readFileSync } from 'node:fs';
import { data as dcmjs } from 'dcmjs';
import { readPart10, tagOf, PIXEL_DATA_TAG, type DicomDataset, type Part10ReadResult, type Tag } from '@pacs/dicom';
import { ctInstanceElements, ctInstanceFile, encodePart10File, pydicomFolder, pydicomPath } from '@pacs/dicom/testing';
import { applyModification } from './apply-modification';
import { isModificationError, type ModificationErrorCode } from './modification.errors';

const ILE = '1.2.840.10008.1.2';
const ELE = '1.2.840.10008.1.2.1';
const BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

type Complete = Extract<Part10ReadResult, { status: 'complete' }>;

function read(file: Buffer): Complete {
  const result = readPart10(file);
  if (result.status !== 'complete') throw new Error('incomplete');
  return result;
}

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

/** Every top-level element's encoding (header and value), by tag, for byte comparisons. */
function elementBytes(dataset: DicomDataset): Map<Tag, Buffer> {
  const out = new Map<Tag, Buffer>();
  for (const element of dataset) {
    const end = element.offset + element.length + (element.undefinedLength ? 8 : 0);
    out.set(element.tag, dataset.bytes.subarray(element.headerOffset, end));
  }
  return out;
}

function expectError(run: () => unknown, code: ModificationErrorCode, attribute?: string): Error {
  try {
    run();
  } catch (error) {
    if (!isModificationError(error)) throw error;
    expect(error.code).toBe(code);
    expect(error.retriable).toBe(false);
    if (attribute !== undefined) expect(error.attribute).toBe(attribute);
    return error;
  }
  throw new Error('expected a ModificationError');
}

const INSTITUTION = tagOf('InstitutionName');
const STATION = tagOf('StationName');
const PRIVATE_ELEMENT = 0x00091001;

describe('applyModification', () => {
  // pydicom's corpus (Debian's python3-pydicom): fails naming the package when it is missing.
  beforeAll(() => pydicomFolder('test_files'));
  const original = ctInstanceFile({ rows: 16, columns: 16, pixelData: Buffer.alloc(512, 7) });

  it('sets InstitutionName and removes a tag; everything else is byte for byte the same', () => {
    const modified = applyModification(original, {
      set: { InstitutionName: ['Hôpital Général'] },
      remove: ['StationName'],
    });
    const before = read(original);
    const after = read(modified);
    // Preamble and File Meta Information: the original bytes.
    expect(modified.subarray(0, after.header.dataSetOffset)).toEqual(original.subarray(0, before.header.dataSetOffset));
    expect(after.header.transferSyntax.uid).toBe(ELE);
    expect(after.dataset.string('InstitutionName')).toBe('Hôpital Général');
    expect(after.dataset.has(STATION)).toBe(false);

    const old = elementBytes(before.dataset);
    const now = elementBytes(after.dataset);
    expect([...now.keys()]).toEqual([...old.keys()].filter((tag) => tag !== STATION));
    for (const [tag, bytes] of now) if (tag !== INSTITUTION) expect(bytes.equals(old.get(tag)!)).toBe(true);
    // Private elements, sequences and pixel data among them, explicitly:
    expect(now.get(PRIVATE_ELEMENT)).toEqual(old.get(PRIVATE_ELEMENT));
    expect(now.get(tagOf('ProcedureCodeSequence'))).toEqual(old.get(tagOf('ProcedureCodeSequence')));
    expect(after.dataset.bytesOf(PIXEL_DATA_TAG)).toEqual(before.dataset.bytesOf(PIXEL_DATA_TAG));
    expect(modified.length).toBe(original.length - 'CT01'.length - 8 + ('Hôpital Général '.length - 16));
  });

  it('writes what dcmjs, an independent reader, reads back', () => {
    const modified = applyModification(original, {
      set: { InstitutionName: ['Hôpital Général'], PatientComments: ['forwarded copy'] },
      remove: ['StationName', '00091001'],
    });
    const dict = dcmjs.DicomMessage.readFile(arrayBuffer(modified));
    const natural = dcmjs.DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, unknown>;
    expect(natural['InstitutionName']).toBe('Hôpital Général');
    expect(natural['PatientComments']).toBe('forwarded copy');
    expect(natural['StationName']).toBeUndefined();
    expect(dict.dict['00091001']).toBeUndefined();
    expect(dict.dict['00091002']).toBeDefined(); // the rest of the private block stays
    expect(dict.dict['00090010']).toBeDefined(); // and so does its creator
    expect((natural['ProcedureCodeSequence'] as Record<string, unknown>)['CodeValue']).toBe('CTTA');
  });

  it('adds an absent attribute in tag order', () => {
    const modified = applyModification(original, { set: { PatientComments: ['copy'], OtherPatientIDs: ['A', 'B'] } });
    const tags = [...read(modified).dataset.elements.keys()];
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    expect(read(modified).dataset.strings('OtherPatientIDs')).toEqual(['A', 'B']);
  });

  it.each([ILE, ELE, BE, DEFLATED])('keeps the transfer syntax %s and its encoding', (syntax) => {
    const file = ctInstanceFile({ rows: 8, columns: 8, transferSyntaxUid: syntax });
    const modified = applyModification(file, {
      set: { InstitutionName: ['Elsewhere'], ImageType: ['DERIVED', 'SECONDARY'] },
      remove: ['StationName'],
    });
    const before = read(file);
    const after = read(modified);
    expect(after.header.transferSyntax.uid).toBe(syntax);
    expect(after.encoding).toEqual(before.encoding);
    expect(after.dataset.string('InstitutionName')).toBe('Elsewhere');
    expect(after.dataset.strings('ImageType')).toEqual(['DERIVED', 'SECONDARY']);
    expect(after.dataset.has(STATION)).toBe(false);
    expect(after.dataset.numbers('PixelPaddingValue')).toEqual([-2000]);
    expect(after.dataset.numbers(0x00431011)).toEqual(before.dataset.numbers(0x00431011));
    expect(after.dataset.bytesOf(PIXEL_DATA_TAG)).toEqual(before.dataset.bytesOf(PIXEL_DATA_TAG));
    // dcmjs reads them too (in implicit VR it logs about the "US or SS" entries of its dictionary,
    // the explicit syntaxes are enough to have an independent reader's word).
    if (syntax === ILE) return;
    const natural = dcmjs.DicomMetaDictionary.naturalizeDataset(
      dcmjs.DicomMessage.readFile(arrayBuffer(modified)).dict,
    ) as Record<string, unknown>;
    expect(natural['InstitutionName']).toBe('Elsewhere');
  });

  it('leaves encapsulated pixel data (JPEG) fragment for fragment as it was', () => {
    const file = readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'));
    const modified = applyModification(file, { set: { InstitutionName: ['Teaching File'] } });
    const before = read(file);
    const after = read(modified);
    expect(after.header.transferSyntax.uid).toBe('1.2.840.10008.1.2.4.50');
    expect(after.dataset.string('InstitutionName')).toBe('Teaching File');
    const fragments = (result: Complete) =>
      result.dataset
        .get(PIXEL_DATA_TAG)!
        .fragments!.map((f) => result.dataset.bytes.subarray(f.offset, f.offset + f.length));
    expect(fragments(after)).toEqual(fragments(before));
  });

  it('writes text in the Specific Character Set of the data set', () => {
    const utf8 = encodePart10File({
      elements: [
        { tag: 'SpecificCharacterSet', value: 'ISO_IR 192' },
        ...ctInstanceElements({ rows: 4, columns: 4 }).filter((e) => e.tag !== 'SpecificCharacterSet'),
      ],
      transferSyntaxUid: ELE,
      stringEncoding: 'utf8',
    });
    const modified = applyModification(utf8, { set: { InstitutionName: ['山田病院'], PatientName: ['山田^太郎'] } });
    expect(read(modified).dataset.string('InstitutionName')).toBe('山田病院');
    expect(read(modified).dataset.string('PatientName')).toBe('山田^太郎');
  });

  it('writes ISO 2022 escapes in a Japanese data set (pydicom chrH31: \\ISO 2022 IR 87)', () => {
    const file = readFileSync(pydicomPath('charset_files/chrH31.dcm'));
    const modified = applyModification(file, {
      set: { InstitutionName: ['山田病院'], PatientName: ['Yamada^Hanako=山田^花子'] },
    });
    const after = read(modified);
    expect(after.dataset.strings('SpecificCharacterSet')).toEqual(['', 'ISO 2022 IR 87']);
    expect(after.dataset.string('InstitutionName')).toBe('山田病院');
    const bytes = after.dataset.bytesOf('InstitutionName')!.toString('latin1');
    expect(bytes.startsWith('\x1b$B;3ED')).toBe(true); // ESC $ B designates JIS X 0208, 山田 in 7 bits
    expect(bytes.endsWith('\x1b(B')).toBe(true); // and ASCII again at the end (PS3.5 6.1.2.5.3)
    expect(after.dataset.string('PatientName')).toBe('Yamada^Hanako=山田^花子');
    // Half-width katakana (JIS X 0201) is not among the declared sets.
    expectError(
      () => applyModification(file, { set: { PatientName: ['ﾔﾏﾀﾞ^ﾀﾛｳ'] } }),
      'UNENCODABLE_VALUE',
      'PatientName',
    );
  });

  it('refuses a value its character set cannot encode, naming the attribute', () => {
    const error = expectError(
      () => applyModification(original, { set: { InstitutionName: ['山田病院'] } }),
      'UNENCODABLE_VALUE',
      'InstitutionName',
    );
    expect(error.message).toMatch(/InstitutionName.*ISO_IR 100/);
    const plain = encodePart10File({
      elements: ctInstanceElements({ rows: 4, columns: 4 }).filter((e) => e.tag !== 'SpecificCharacterSet'),
      transferSyntaxUid: ELE,
    });
    expect(
      expectError(
        () => applyModification(plain, { set: { StationName: ['Salle é'] } }),
        'UNENCODABLE_VALUE',
        'StationName',
      ).message,
    ).toMatch(/default repertoire/);
    expectError(
      () => applyModification(readFileSync(pydicomPath('charset_files/chrH31.dcm')), { set: { StationName: ['é'] } }),
      'UNENCODABLE_VALUE',
      'StationName',
    );
  });

  it('refuses what the rule language refuses: unknown keyword, protected attribute, invalid value', () => {
    expect(
      expectError(() => applyModification(original, { set: { InstitutionNam: ['x'] } }), 'INVALID_MODIFICATION')
        .message,
    ).toMatch(/unknown DICOM keyword "InstitutionNam"/);
    expect(
      expectError(() => applyModification(original, { set: { SOPInstanceUID: ['1.2.3'] } }), 'INVALID_MODIFICATION')
        .message,
    ).toMatch(/SOPInstanceUID cannot be modified/);
    expectError(() => applyModification(original, { remove: ['PixelData'] }), 'INVALID_MODIFICATION');
    expectError(() => applyModification(original, { set: { Modality: ['ct!'] } }), 'INVALID_MODIFICATION');
  });

  it('refuses a value longer than a 16-bit length field', () => {
    const values = Array.from({ length: 5000 }, () => 'ABCDEFGHIJKLMNOP');
    expectError(() => applyModification(original, { set: { ImageType: values } }), 'VALUE_TOO_LONG', 'ImageType');
    // Implicit VR has 32-bit lengths everywhere.
    const implicit = ctInstanceFile({ rows: 4, columns: 4, transferSyntaxUid: ILE });
    expect(read(applyModification(implicit, { set: { ImageType: values } })).dataset.strings('ImageType')).toHaveLength(
      5000,
    );
  });

  it('keeps a Group Length (gggg,0000) of a changed group right (PS3.5 7.2)', () => {
    const elements = ctInstanceElements({ rows: 4, columns: 4 });
    const file = encodePart10File({
      elements: [{ tag: 0x00080000, vr: 'UL', value: 0 }, ...elements],
      transferSyntaxUid: ELE,
    });
    const modified = applyModification(file, { set: { InstitutionName: ['A much longer institution name'] } });
    const dataset = read(modified).dataset;
    let length = 0;
    for (const [tag, bytes] of elementBytes(dataset))
      if (tag >>> 16 === 0x0008 && tag !== 0x00080000) length += bytes.length;
    expect(dataset.number(0x00080000)).toBe(length);
  });

  it('returns the file itself when nothing changes', () => {
    expect(applyModification(original, {})).toBe(original);
    expect(applyModification(original, { set: {}, remove: [] })).toBe(original);
  });

  it('refuses bytes that are no DICOM', () => {
    expectError(
      () => applyModification(Buffer.from('not a dicom file at all, really'), { set: { InstitutionName: ['x'] } }),
      'UNREADABLE_INSTANCE',
    );
  });
});
