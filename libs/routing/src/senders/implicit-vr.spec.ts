import { readDataset, readPart10, type DicomDataset } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File } from '@pacs/dicom/testing';
import { toImplicitVrLittleEndian } from './implicit-vr';

/** The value bytes of every element that is no sequence (private ones are UN in Implicit VR: bytes compare). */
function values(dataset: DicomDataset): Record<string, string> {
  const out: Record<string, string> = {};
  for (const element of dataset)
    if (!element.items) out[element.tag.toString(16)] = dataset.bytesOf(element.tag)!.toString('hex');
  return out;
}

describe('toImplicitVrLittleEndian', () => {
  it('re-encodes every element, private sequences included, with the same values', () => {
    const file = encodePart10File({
      elements: [
        ...ctInstanceElements({ rows: 4, columns: 4 }),
        // A private sequence: in Implicit VR only its undefined length says it is one.
        { tag: 0x00110010, vr: 'LO', value: 'ACME' },
        {
          tag: 0x00111001,
          vr: 'SQ',
          value: [[{ tag: 'CodeValue', value: 'X1' }], [{ tag: 'CodeValue', value: 'X2' }]],
        },
      ],
      transferSyntaxUid: '1.2.840.10008.1.2.1',
    });
    const explicit = readPart10(file);
    if (explicit.status !== 'complete') throw new Error('incomplete');
    const bytes = toImplicitVrLittleEndian(explicit.dataset);
    const implicit = readDataset(bytes, { transferSyntax: '1.2.840.10008.1.2' });
    if (implicit.status !== 'complete') throw new Error('incomplete');
    expect(implicit.encoding).toEqual({ explicitVr: false, littleEndian: true });
    expect([...implicit.dataset.elements.keys()]).toEqual([...explicit.dataset.elements.keys()]);
    expect(values(implicit.dataset)).toEqual(values(explicit.dataset));
    expect(implicit.dataset.string('InstitutionName')).toBe('General Hospital');
    expect(implicit.dataset.numbers('PixelPaddingValue')).toEqual([-2000]);
    expect(implicit.dataset.items(0x00111001).map((item) => item.string('CodeValue'))).toEqual(['X1', 'X2']);
    expect(implicit.dataset.items('ProcedureCodeSequence')[0]!.string('CodeMeaning')).toBe('CT thorax abdomen');
  });

  it('refuses encapsulated pixel data, which has no Implicit VR form', () => {
    const file = encodePart10File({
      elements: [
        ...ctInstanceElements({ rows: 4, columns: 4 }).filter((e) => e.tag !== 'PixelData'),
        { tag: 'PixelData', vr: 'OB', fragments: [Buffer.alloc(0), Buffer.from([0xff, 0xd8, 0xff, 0xd9])] },
      ],
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
    });
    const read = readPart10(file);
    if (read.status !== 'complete') throw new Error('incomplete');
    expect(() => toImplicitVrLittleEndian(read.dataset)).toThrow(/encapsulated/);
  });
});
