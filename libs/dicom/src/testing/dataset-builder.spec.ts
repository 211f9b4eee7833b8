import { data as dcmjs } from 'dcmjs';
import { readPart10 } from '../part10';
import { PIXEL_DATA_TAG } from '../tag';
import { ctInstanceElements, ctInstanceFile } from './ct-instance';
import { encodePart10File } from './dataset-builder';

// dcmjs is an independent implementation: it must read what the builder writes, and our reader must
// read what dcmjs writes, in each syntax both support.
const SYNTAXES = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'];

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

describe('test data sets against dcmjs', () => {
  it.each(SYNTAXES)('dcmjs reads a CT instance built in %s', (syntax) => {
    const file = ctInstanceFile({ transferSyntaxUid: syntax, rows: 16, columns: 16, patientName: 'Müller^Anna' });
    const dict = dcmjs.DicomMessage.readFile(arrayBuffer(file));
    const natural = dcmjs.DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, unknown>;
    expect(natural['Modality']).toBe('CT');
    expect(natural['Rows']).toBe(16);
    expect(natural['ImageType']).toEqual(['ORIGINAL', 'PRIMARY', 'AXIAL']);
    expect(natural['PatientName']).toEqual([{ Alphabetic: 'Müller^Anna' }]);
    expect(natural['InstanceNumber']).toBe(1);
    expect((natural['ProcedureCodeSequence'] as Record<string, unknown>)['CodeValue']).toBe('CTTA');
  });

  // dcmjs reads deflated data sets but writes none.
  it.each(SYNTAXES.filter((s) => !s.endsWith('.99')))('reads a CT instance dcmjs rewrote in %s', (syntax) => {
    const built = ctInstanceFile({ rows: 16, columns: 16, instanceNumber: 5 });
    const dict = dcmjs.DicomMessage.readFile(arrayBuffer(built));
    dict.meta['00020010'] = { vr: 'UI', Value: [syntax] };
    const rewritten = Buffer.from(dict.write());
    const read = readPart10(rewritten);
    if (read.status !== 'complete') throw new Error('incomplete');
    expect(read.header.transferSyntax.uid).toBe(syntax);
    const ds = read.dataset;
    expect(ds.string('Modality')).toBe('CT');
    expect(ds.number('InstanceNumber')).toBe(5);
    expect(ds.numbers('ImagePositionPatient')).toEqual([-180, -180, -6.25]);
    expect(ds.number('RevolutionTime')).toBe(0.5);
    expect(ds.items('ProcedureCodeSequence')[0]!.string('CodeMeaning')).toBe('CT thorax abdomen');
    expect(ds.get('PixelData')!.length).toBe(16 * 16 * 2);
  });

  it('builds the data set a benchmark corpus needs: shared pixel data, fresh UIDs', () => {
    const pixels = Buffer.alloc(64 * 64 * 2, 1);
    const a = ctInstanceElements({ rows: 64, columns: 64, pixelData: pixels });
    const b = ctInstanceElements({ rows: 64, columns: 64, pixelData: pixels });
    const uid = (elements: typeof a): unknown => elements.find((e) => e.tag === 'SOPInstanceUID')!.value;
    expect(uid(a)).not.toEqual(uid(b));
    const file = encodePart10File({ elements: a, transferSyntaxUid: '1.2.840.10008.1.2.1' });
    const read = readPart10(file, { untilTag: PIXEL_DATA_TAG });
    if (read.status !== 'complete') throw new Error('incomplete');
    expect(read.header.meta!.mediaStorageSopInstanceUid).toBe(uid(a));
    expect(read.dataset.size).toBeGreaterThan(100);
  });
});
