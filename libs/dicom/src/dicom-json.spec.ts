import { readFileSync } from 'node:fs';
import { readDataset } from './dataset-reader';
import type { DicomDataset } from './dicom-dataset';
import { toDicomJson, type BulkDataReference, type DicomJsonAttribute, type DicomJsonDataset } from './dicom-json';
import { tagOf } from './dictionary';
import { readPart10 } from './part10';
import { formatTag, isPrivateTag, parseTag } from './tag';
import { encodeDataset, listPydicomFiles, pydicomPath, pydicomReference, type TestElement } from './testing';

function datasetOf(elements: readonly TestElement[], syntax = '1.2.840.10008.1.2.1'): DicomDataset {
  const read = readDataset(encodeDataset(elements, syntax), { transferSyntax: syntax });
  if (read.status !== 'complete') throw new Error('incomplete');
  return read.dataset;
}

const key = (keyword: string): string => formatTag(tagOf(keyword));

const ELEMENTS: TestElement[] = [
  { tag: 'SpecificCharacterSet', value: ['', 'ISO 2022 IR 87'] },
  { tag: 'ImageType', value: ['ORIGINAL', '', 'AXIAL'] },
  { tag: 'StudyDescription', value: '' },
  { tag: 'PatientName', bytes: Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=', 'latin1') },
  { tag: 'OtherPatientNames', value: ['A^B', '', 'C'] },
  { tag: 'SeriesNumber', value: ' 12 ' },
  { tag: 'ImagePositionPatient', value: ['-1.5', '', 'x'] },
  { tag: 'FrameIncrementPointer', value: [tagOf('FrameTime')] },
  { tag: 'Rows', value: 512 },
  { tag: 'ReferencePixelX0', value: -3 },
  { tag: 'SelectorSVValue', value: [-5n, 2n ** 60n] },
  { tag: 'RevolutionTime', value: 0.25 },
  { tag: 'ProcedureCodeSequence', value: [[{ tag: 'CodeValue', value: 'X' }], []] },
  { tag: 'ReferencedImageSequence', value: [] },
  { tag: 'RedPaletteColorLookupTableData', vr: 'OW', value: [1, 2] },
  { tag: 0x00090000, vr: 'UL', value: 0 }, // a group length: left out
  { tag: 0x00090010, vr: 'LO', value: 'ACME' },
  { tag: 0x00091001, vr: 'OB', value: Buffer.from([1, 2, 3, 4]) },
  { tag: 0x00091002, vr: 'OB', value: Buffer.alloc(2000, 1) },
  { tag: 0x00091003, vr: 'DS', value: Array.from({ length: 400 }, (_, i) => String(i)) },
  { tag: 'PixelData', vr: 'OW', value: Buffer.from([1, 0, 2, 0]) },
];

const EXPECTED: DicomJsonDataset = {
  [key('SpecificCharacterSet')]: { vr: 'CS', Value: [null, 'ISO 2022 IR 87'] },
  [key('ImageType')]: { vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] },
  [key('StudyDescription')]: { vr: 'LO' },
  [key('ProcedureCodeSequence')]: { vr: 'SQ', Value: [{ [key('CodeValue')]: { vr: 'SH', Value: ['X'] } }, {}] },
  [key('ReferencedImageSequence')]: { vr: 'SQ' },
  '00090010': { vr: 'LO', Value: ['ACME'] },
  '00091001': { vr: 'OB', InlineBinary: 'AQIDBA==' },
  '00091002': { vr: 'OB', BulkDataURI: 'bulk:00091002' },
  '00091003': { vr: 'DS', BulkDataURI: 'bulk:00091003' },
  [key('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] },
  [key('OtherPatientNames')]: { vr: 'PN', Value: [{ Alphabetic: 'A^B' }, null, { Alphabetic: 'C' }] },
  [key('SeriesNumber')]: { vr: 'IS', Value: [12] },
  [key('ImagePositionPatient')]: { vr: 'DS', Value: [-1.5, null, 'x'] },
  [key('FrameIncrementPointer')]: { vr: 'AT', Value: [key('FrameTime')] },
  [key('Rows')]: { vr: 'US', Value: [512] },
  [key('ReferencePixelX0')]: { vr: 'SL', Value: [-3] },
  [key('SelectorSVValue')]: { vr: 'SV', Value: [-5, '1152921504606846976'] },
  [key('RevolutionTime')]: { vr: 'FD', Value: [0.25] },
  [key('RedPaletteColorLookupTableData')]: { vr: 'OW', InlineBinary: 'AQACAA==' },
  [key('PixelData')]: { vr: 'OW', BulkDataURI: 'bulk:7FE00010' },
};

describe('DICOM JSON (PS3.18 F.2)', () => {
  const bulkDataUri = (reference: BulkDataReference): string => `bulk:${reference.path}`;

  it('writes each VR as PS3.18 F.2 says', () => {
    const json = toDicomJson(datasetOf(ELEMENTS), { bulkDataUri });
    expect(json).toEqual(EXPECTED);
    // Keys in ascending tag order, as read.
    expect(Object.keys(json)).toEqual(Object.keys(json).sort());
  });

  it.each(['1.2.840.10008.1.2', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'])(
    'writes the same JSON from %s (binary values as little endian)',
    (syntax) => {
      const json = toDicomJson(datasetOf(ELEMENTS, syntax), { bulkDataUri });
      if (syntax === '1.2.840.10008.1.2') {
        // Implicit VR cannot say what a private element is: UN, its bytes inline or bulk.
        expect(json['00091001']).toEqual({ vr: 'UN', InlineBinary: 'AQIDBA==' });
        expect(json['00091002']).toEqual({ vr: 'UN', BulkDataURI: 'bulk:00091002' });
        expect(json['00091003']).toEqual({ vr: 'UN', BulkDataURI: 'bulk:00091003' });
        const { '00091001': _a, '00091002': _b, '00091003': _c, ...rest } = json;
        const { '00091001': _d, '00091002': _e, '00091003': _f, ...expected } = EXPECTED;
        expect(rest).toEqual(expected);
      } else {
        expect(json).toEqual(EXPECTED);
      }
    },
  );

  it('tells the URI maker where each bulk value is, through sequences', () => {
    const references: BulkDataReference[] = [];
    const elements: TestElement[] = [
      {
        tag: 'IconImageSequence',
        value: [[{ tag: 'PixelData', vr: 'OB', value: Buffer.alloc(10) }]],
      },
      { tag: 'PixelData', fragments: [Buffer.alloc(0), Buffer.from([1, 2]), Buffer.from([3, 4])] },
    ];
    const syntax = '1.2.840.10008.1.2.4.50';
    const bytes = encodeDataset(elements, syntax);
    const read = readDataset(bytes, { transferSyntax: syntax });
    if (read.status !== 'complete') throw new Error('incomplete');
    const json = toDicomJson(read.dataset, { bulkDataUri: (r) => (references.push(r), `bulk:${r.path}`) });
    expect(json[key('IconImageSequence')]!.Value).toEqual([
      { '7FE00010': { vr: 'OB', BulkDataURI: 'bulk:00880200/0/7FE00010' } },
    ]);
    expect(json['7FE00010']).toEqual({ vr: 'OB', BulkDataURI: 'bulk:7FE00010' });
    const pixel = references.find((r) => r.path === '7FE00010')!;
    expect(pixel.fragments!.map((f) => [...bytes.subarray(f.offset, f.offset + f.length)])).toEqual([
      [],
      [1, 2],
      [3, 4],
    ]);
  });

  it('puts everything inline without a URI maker, and respects the threshold', () => {
    const json = toDicomJson(datasetOf(ELEMENTS));
    expect(json['00091002']!.InlineBinary).toBe(Buffer.alloc(2000, 1).toString('base64'));
    expect(json['7FE00010']).toEqual({ vr: 'OW', InlineBinary: 'AQACAA==' });
    const small = toDicomJson(datasetOf(ELEMENTS), { bulkDataUri, bulkDataThreshold: 2 });
    expect(small['00091001']).toEqual({ vr: 'OB', BulkDataURI: 'bulk:00091001' });
    expect(small[key('Rows')]).toEqual({ vr: 'US', Value: [512] }); // 2 bytes: not above 2
    expect(small[key('SelectorSVValue')]).toEqual({ vr: 'SV', BulkDataURI: `bulk:${key('SelectorSVValue')}` });
  });
});

// pydicom's to_json_dict is an independent implementation of the same model: both must agree on
// every attribute of every file, but for the deliberate differences normalised below.
describe("DICOM JSON agrees with pydicom's to_json_dict", () => {
  const reference = pydicomReference();
  const files = [...listPydicomFiles('test_files'), ...listPydicomFiles('charset_files')].filter(
    (file) => reference[file]?.json,
  );

  type Json = Record<string, DicomJsonAttribute>;

  function differences(ours: Json, theirs: Json, path: string, out: string[]): void {
    for (const tag of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      const numeric = parseTag(tag)!;
      // Group lengths are retired; we leave them out, pydicom keeps them.
      if ((numeric & 0xffff) === 0) continue;
      // Pixel Data: pydicom inlines encapsulated pixel data with its item headers; we inline the
      // fragments. Both are bulk data in practice.
      if (tag === '7FE00010') continue;
      const a = ours[tag];
      const b = theirs[tag];
      if (!a || !b) {
        out.push(`${path}${tag}: only in ${a ? 'ours' : 'pydicom'}`);
        continue;
      }
      // Private elements pydicom types from its private dictionary stay UN here (PS3.5 6.2.2).
      if (a.vr === 'UN' && isPrivateTag(numeric)) continue;
      if (a.vr !== b.vr) out.push(`${path}${tag}: VR ${a.vr} vs ${b.vr}`);
      if (a.vr === 'SQ') {
        const itemsA = (a.Value ?? []) as Json[];
        const itemsB = (b.Value ?? []) as Json[];
        if (itemsA.length !== itemsB.length) out.push(`${path}${tag}: ${itemsA.length} vs ${itemsB.length} items`);
        itemsA.forEach((item, i) => differences(item, itemsB[i] ?? {}, `${path}${tag}/${i}/`, out));
        continue;
      }
      const normalise = (attribute: DicomJsonAttribute): string =>
        JSON.stringify({
          // PS3.18 F.2.5: an empty value among several is null (pydicom writes ""); pydicom keeps
          // the padding of CS values, which PS3.5 6.2 says is insignificant.
          Value: attribute.Value?.map((v) =>
            v === '' ? null : typeof v === 'string' && attribute.vr === 'CS' ? v.trim() : v,
          ),
          InlineBinary: attribute.InlineBinary,
        });
      if (normalise(a) !== normalise(b))
        out.push(`${path}${tag}: ${normalise(a).slice(0, 200)} vs ${normalise(b).slice(0, 200)}`);
    }
  }

  it('has the files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s', (file) => {
    let read;
    try {
      read = readPart10(readFileSync(pydicomPath(file)));
    } catch {
      return; // the files we refuse are covered in part10.spec.ts
    }
    if (read.status !== 'complete') throw new Error('incomplete');
    const out: string[] = [];
    differences(toDicomJson(read.dataset) as Json, reference[file]!.json as Json, '', out);
    expect(out).toEqual([]);
  });
});
