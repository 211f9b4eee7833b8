import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { readDataset, type DatasetReadComplete, type DatasetReadResult } from './dataset-reader';
import { DicomParseError } from './dicom.errors';
import { tagOf } from './dictionary';
import { PIXEL_DATA_TAG } from './tag';
import { encodeDataset, type TestElement } from './testing';

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

function complete(result: DatasetReadResult): DatasetReadComplete {
  if (result.status !== 'complete') throw new Error(`expected a complete read, got ${JSON.stringify(result)}`);
  return result;
}

function parseError(fn: () => unknown): DicomParseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DicomParseError);
    return error as DicomParseError;
  }
  throw new Error('expected a DicomParseError');
}

const item = (code: string): TestElement[] => [
  { tag: 'CodeValue', value: code },
  { tag: 'CodingSchemeDesignator', value: 'DCM' },
  { tag: 'CodeMeaning', value: `meaning ${code}` },
];

const pixels = Buffer.from(Array.from({ length: 64 }, (_, i) => i));

const ELEMENTS: TestElement[] = [
  { tag: 'SpecificCharacterSet', value: 'ISO_IR 100' },
  { tag: 'ImageType', value: ['ORIGINAL', 'PRIMARY'] },
  { tag: 'SOPClassUID', value: '1.2.840.10008.5.1.4.1.1.7' },
  { tag: 'SOPInstanceUID', value: '1.2.3.4.5' },
  { tag: 'PatientName', value: 'Müller^Jürgen' },
  { tag: 'PatientID', value: ' ID 7 ' },
  { tag: 'ProcedureCodeSequence', value: [item('A'), item('B')] },
  {
    tag: 'ReferencedImageSequence',
    undefinedLength: true,
    value: [[{ tag: 'ReferencedSOPInstanceUID', value: '1.2.3' }], []],
  },
  { tag: 'SliceThickness', value: '1.25' },
  { tag: 'SeriesNumber', value: '7' },
  { tag: 'ImagePositionPatient', value: ['-1.5', '2', '3e2'] },
  { tag: 'FrameIncrementPointer', value: [tagOf('FrameTime')] },
  { tag: 'Rows', value: 4 },
  { tag: 'Columns', value: 8 },
  { tag: 'PixelRepresentation', value: 1 },
  { tag: 'SmallestImagePixelValue', vr: 'SS', value: -100 },
  { tag: 'RealWorldValueLastValueMapped', vr: 'US', value: 4095 },
  { tag: 'ReferencePixelX0', value: -7 }, // SL
  { tag: 'SpacingBetweenSlices', value: '0.5' },
  { tag: 'RevolutionTime', value: 0.5 }, // FD
  { tag: 'RecommendedDisplayFrameRateInFloat', value: 25.5 }, // FL
  { tag: 0x00090010, vr: 'LO', value: 'ACME' },
  { tag: 0x00091001, vr: 'LO', value: 'private text' },
  { tag: 'PixelData', vr: 'OW', value: pixels },
];

describe('readDataset in each uncompressed transfer syntax', () => {
  it.each([IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED])('%s reads back every value', (syntax) => {
    const bytes = encodeDataset(ELEMENTS, syntax);
    const { dataset, stoppedAt } = complete(readDataset(bytes, { transferSyntax: syntax }));
    expect(stoppedAt).toBeUndefined();
    expect(dataset.strings('ImageType')).toEqual(['ORIGINAL', 'PRIMARY']);
    expect(dataset.string('SOPInstanceUID')).toBe('1.2.3.4.5');
    expect(dataset.string('PatientName')).toBe('Müller^Jürgen');
    expect(dataset.string('PatientID')).toBe('ID 7');
    expect(dataset.number('SliceThickness')).toBe(1.25);
    expect(dataset.number('SeriesNumber')).toBe(7);
    expect(dataset.numbers('ImagePositionPatient')).toEqual([-1.5, 2, 300]);
    expect(dataset.number('Rows')).toBe(4);
    expect(dataset.number('SmallestImagePixelValue')).toBe(-100);
    expect(dataset.number('RealWorldValueLastValueMapped')).toBe(4095);
    expect(dataset.number('ReferencePixelX0')).toBe(-7);
    expect(dataset.number('RevolutionTime')).toBe(0.5);
    expect(dataset.number('RecommendedDisplayFrameRateInFloat')).toBe(25.5);
    expect(dataset.string(0x00090010)).toBe('ACME');

    const codes = dataset.items('ProcedureCodeSequence');
    expect(codes.map((i) => i.string('CodeValue'))).toEqual(['A', 'B']);
    expect(codes[1]!.string('CodeMeaning')).toBe('meaning B');
    const references = dataset.get('ReferencedImageSequence')!;
    expect(references.undefinedLength).toBe(true);
    expect(references.items!.map((i) => i.size)).toEqual([1, 0]);
    expect(references.items![0]!.string('ReferencedSOPInstanceUID')).toBe('1.2.3');

    const pixel = dataset.get('PixelData')!;
    expect(pixel.length).toBe(64);
    // The bytes as encoded (the builder writes a Buffer value as given, in any byte order).
    expect(dataset.bytesOf('PixelData')).toEqual(pixels);
  });

  it('reads private elements of an implicit VR data set as UN, their creator as LO', () => {
    const { dataset } = complete(readDataset(encodeDataset(ELEMENTS, IMPLICIT_LE)));
    expect(dataset.get(0x00090010)!.vr).toBe('LO');
    expect(dataset.get(0x00091001)!.vr).toBe('UN');
    expect(dataset.string(0x00091001)).toBe('private text'); // UN still reads as text on request
  });

  it('resolves "US or SS" by Pixel Representation in implicit VR', () => {
    const { dataset } = complete(readDataset(encodeDataset(ELEMENTS, IMPLICIT_LE)));
    expect(dataset.get('SmallestImagePixelValue')!.vr).toBe('SS');
    expect(dataset.number('SmallestImagePixelValue')).toBe(-100);
  });

  it('locates values in the given buffer without copying them', () => {
    const bytes = encodeDataset(ELEMENTS, EXPLICIT_LE);
    const { dataset } = complete(readDataset(bytes, { transferSyntax: EXPLICIT_LE }));
    expect(dataset.bytes).toBe(bytes);
    const pixel = dataset.get('PixelData')!;
    expect(bytes.subarray(pixel.offset, pixel.offset + pixel.length)).toEqual(pixels);
    expect(dataset.bytesOf('PixelData')!.buffer).toBe(bytes.buffer);
  });

  it('inherits the Specific Character Set into items unless they have their own (PS3.5 7.5.3)', () => {
    const bytes = encodeDataset(
      [
        { tag: 'SpecificCharacterSet', value: 'ISO_IR 192' },
        {
          tag: 'OtherPatientIDsSequence',
          value: [
            [{ tag: 'PatientName', value: 'Zoë' }],
            [
              { tag: 'SpecificCharacterSet', value: 'ISO_IR 100' },
              { tag: 'PatientName', bytes: Buffer.from('Zoë ', 'latin1') },
            ],
          ],
        },
      ],
      EXPLICIT_LE,
      { stringEncoding: 'utf8' },
    );
    const { dataset } = complete(readDataset(bytes, { transferSyntax: EXPLICIT_LE }));
    const [first, second] = dataset.items('OtherPatientIDsSequence');
    expect(first!.string('PatientName')).toBe('Zoë');
    expect(second!.string('PatientName')).toBe('Zoë');
  });
});

describe('readDataset: encapsulated pixel data', () => {
  const fragments = [
    Buffer.alloc(0),
    Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff]),
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 9, 9]),
  ];
  const elements: TestElement[] = [
    { tag: 'SOPInstanceUID', value: '1.2.3' },
    { tag: 'PixelData', fragments },
    { tag: 'DataSetTrailingPadding', vr: 'OB', value: Buffer.alloc(4) },
  ];

  it('walks the fragments by their lengths and goes on after the delimiter', () => {
    const bytes = encodeDataset(elements, JPEG_BASELINE);
    const { dataset } = complete(readDataset(bytes, { transferSyntax: JPEG_BASELINE }));
    const pixel = dataset.get('PixelData')!;
    expect(pixel.undefinedLength).toBe(true);
    expect(pixel.fragments!.map((f) => bytes.subarray(f.offset, f.offset + f.length))).toEqual(fragments);
    expect(dataset.has('DataSetTrailingPadding')).toBe(true);
  });

  it('stops before them at untilTag, even when they are not there yet', () => {
    const bytes = encodeDataset(elements, JPEG_BASELINE);
    const start = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    const prefix = bytes.subarray(0, start + 4);
    const read = complete(
      readDataset(prefix, { transferSyntax: JPEG_BASELINE, untilTag: PIXEL_DATA_TAG, final: false }),
    );
    expect(read.stoppedAt).toBe(PIXEL_DATA_TAG);
    expect(read.end).toBe(start);
    expect(read.dataset.has('PixelData')).toBe(false);
  });
});

describe('readDataset: prefixes and truncation', () => {
  const syntaxes = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE];

  it.each(syntaxes)('%s: every prefix asks for more bytes, never throws', (syntax) => {
    const bytes = encodeDataset(ELEMENTS, syntax);
    for (let cut = 0; cut < bytes.length; cut++) {
      const read = readDataset(bytes.subarray(0, cut), { transferSyntax: syntax, final: false });
      expect(read.status).toBe('need-more-bytes');
      if (read.status === 'need-more-bytes') expect(read.needed).toBeGreaterThan(cut);
    }
    expect(complete(readDataset(bytes, { transferSyntax: syntax })).dataset.size).toBe(ELEMENTS.length);
  });

  it.each(syntaxes)('%s: every cut of a complete data set is TRUNCATED or a shorter valid data set', (syntax) => {
    const bytes = encodeDataset(ELEMENTS, syntax);
    const boundaries = new Set<number>();
    const { dataset } = complete(readDataset(bytes, { transferSyntax: syntax }));
    for (const element of dataset) boundaries.add(element.headerOffset);
    for (let cut = 1; cut < bytes.length; cut++) {
      if (boundaries.has(cut)) {
        expect(readDataset(bytes.subarray(0, cut), { transferSyntax: syntax }).status).toBe('complete');
      } else {
        expect(parseError(() => readDataset(bytes.subarray(0, cut), { transferSyntax: syntax })).code).toBe(
          'TRUNCATED',
        );
      }
    }
  });

  it('reads a header from a prefix that stops before the pixel data arrived', () => {
    const bytes = encodeDataset(ELEMENTS, EXPLICIT_LE);
    const pixelStart = complete(readDataset(bytes, { transferSyntax: EXPLICIT_LE })).dataset.get(
      'PixelData',
    )!.headerOffset;
    for (const cut of [pixelStart - 1, pixelStart + 3]) {
      const read = readDataset(bytes.subarray(0, cut), {
        transferSyntax: EXPLICIT_LE,
        untilTag: PIXEL_DATA_TAG,
        final: false,
      });
      expect(read.status).toBe('need-more-bytes');
    }
    const read = complete(
      readDataset(bytes.subarray(0, pixelStart + 4), {
        transferSyntax: EXPLICIT_LE,
        untilTag: PIXEL_DATA_TAG,
        final: false,
      }),
    );
    expect(read.end).toBe(pixelStart);
    expect(read.dataset.string('SOPInstanceUID')).toBe('1.2.3.4.5');
  });

  it('says how many bytes it needs for a long value', () => {
    const bytes = encodeDataset([{ tag: 'PixelData', vr: 'OB', value: Buffer.alloc(1000) }], EXPLICIT_LE);
    expect(readDataset(bytes.subarray(0, 20), { transferSyntax: EXPLICIT_LE, final: false })).toEqual({
      status: 'need-more-bytes',
      needed: 1012,
    });
  });
});

describe('readDataset: deflated (PS3.5 A.5)', () => {
  const big: TestElement[] = [
    { tag: 'SOPInstanceUID', value: '1.2.3.4' },
    { tag: 'PixelData', vr: 'OB', value: randomBytes(4 * 1024 * 1024) }, // incompressible
  ];

  it('inflates only until the stop element', () => {
    const bytes = encodeDataset(big, DEFLATED);
    const read = complete(readDataset(bytes, { transferSyntax: DEFLATED, untilTag: PIXEL_DATA_TAG }));
    expect(read.dataset.string('SOPInstanceUID')).toBe('1.2.3.4');
    expect(read.dataset.bytes.length).toBeLessThan(1024 * 1024); // not the 4 MiB of pixel data
  });

  it('reads a deflated prefix and asks for more of a short one', () => {
    const bytes = encodeDataset(ELEMENTS, DEFLATED);
    expect(complete(readDataset(bytes, { transferSyntax: DEFLATED })).dataset.size).toBe(ELEMENTS.length);
    expect(readDataset(bytes.subarray(0, 10), { transferSyntax: DEFLATED, final: false }).status).toBe(
      'need-more-bytes',
    );
    expect(parseError(() => readDataset(bytes.subarray(0, bytes.length - 20), { transferSyntax: DEFLATED })).code).toBe(
      'TRUNCATED',
    );
  });

  it('accepts a zlib wrapper, refuses garbage with INVALID_DEFLATE, and caps the inflated size', () => {
    const raw = encodeDataset(ELEMENTS, EXPLICIT_LE);
    const zlibWrapped = deflateSync(raw);
    expect(complete(readDataset(zlibWrapped, { transferSyntax: DEFLATED })).dataset.size).toBe(ELEMENTS.length);
    expect(
      parseError(() => readDataset(Buffer.from([0xff, 0xff, 0xff, 0xff]), { transferSyntax: DEFLATED })).code,
    ).toBe('INVALID_DEFLATE');
    const bomb = encodeDataset(big, DEFLATED);
    expect(parseError(() => readDataset(bomb, { transferSyntax: DEFLATED, maxInflatedBytes: 1024 })).code).toBe(
      'INVALID_DEFLATE',
    );
  });
});

describe('readDataset: what writers get wrong', () => {
  it('reads an implicit VR data set declared explicit, and the reverse (first element decides)', () => {
    const implicit = encodeDataset(ELEMENTS, IMPLICIT_LE);
    const asExplicit = complete(readDataset(implicit, { transferSyntax: EXPLICIT_LE }));
    expect(asExplicit.encoding).toEqual({ explicitVr: false, littleEndian: true });
    expect(asExplicit.dataset.string('SOPInstanceUID')).toBe('1.2.3.4.5');
    const explicit = encodeDataset(ELEMENTS, EXPLICIT_LE);
    expect(complete(readDataset(explicit, { transferSyntax: IMPLICIT_LE })).encoding.explicitVr).toBe(true);
  });

  it('reads a UN of undefined length as an implicit VR sequence (PS3.5 6.2.2)', () => {
    const inner = encodeDataset([{ tag: 'CodeValue', value: 'X1' }], IMPLICIT_LE);
    const items = Buffer.concat([
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
      inner,
      Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
    ]);
    const sequence = Buffer.concat([items, Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0])]);
    const bytes = Buffer.concat([
      Buffer.from([0x11, 0x00, 0x10, 0x00, 0x4c, 0x4f, 0x04, 0x00]),
      Buffer.from('ACME'),
      Buffer.from([0x11, 0x00, 0x01, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff]), // (0011,1001) UN, undefined
      sequence,
      encodeDataset([{ tag: 'PatientName', value: 'After^Sequence' }], EXPLICIT_LE),
    ]);
    const { dataset } = complete(readDataset(bytes, { transferSyntax: EXPLICIT_LE }));
    const element = dataset.get(0x00111001)!;
    expect(element.vr).toBe('SQ');
    expect(element.items![0]!.string('CodeValue')).toBe('X1');
    expect(dataset.string('PatientName')).toBe('After^Sequence');
  });

  it('reads an explicit UN of a standard attribute with the dictionary VR', () => {
    const value = Buffer.from('1.2.840.10008.5.1.4.1.1.2\0');
    const header = Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x4e, 0, 0, 0, 0, 0, 0]);
    header.writeUInt32LE(value.length, 8);
    const { dataset } = complete(readDataset(Buffer.concat([header, value]), { transferSyntax: EXPLICIT_LE }));
    expect(dataset.get('SOPClassUID')!.vr).toBe('UI');
    expect(dataset.string('SOPClassUID')).toBe('1.2.840.10008.5.1.4.1.1.2');
  });

  it('skips a stray delimiter between elements', () => {
    const bytes = Buffer.concat([
      encodeDataset([{ tag: 'PatientID', value: 'A' }], EXPLICIT_LE),
      Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
      encodeDataset([{ tag: 'PatientSex', value: 'F' }], EXPLICIT_LE),
    ]);
    expect(complete(readDataset(bytes, { transferSyntax: EXPLICIT_LE })).dataset.string('PatientSex')).toBe('F');
  });
});

describe('readDataset: errors carry a code, the offset and the tag', () => {
  it('INVALID_VR', () => {
    const good = encodeDataset([{ tag: 'PatientID', value: 'A' }], EXPLICIT_LE);
    const bad = Buffer.from([0x10, 0x00, 0x40, 0x00, 0x7a, 0x7a, 0x02, 0x00, 0x46, 0x20]); // (0010,0040) "zz"
    const error = parseError(() => readDataset(Buffer.concat([good, bad]), { transferSyntax: EXPLICIT_LE }));
    expect(error).toMatchObject({ code: 'INVALID_VR', offset: good.length + 4, tag: 0x00100040, retriable: false });
    expect(error.message).toMatch(/"zz".*00100040/);
  });

  it('INVALID_LENGTH: an item longer than its sequence, an undefined length where none is allowed', () => {
    const sequence = encodeDataset([{ tag: 'ProcedureCodeSequence', value: [item('A')] }], EXPLICIT_LE);
    const corrupt = Buffer.from(sequence);
    corrupt.writeUInt32LE(corrupt.readUInt32LE(16) + 2, 16); // the item's length
    expect(parseError(() => readDataset(corrupt, { transferSyntax: EXPLICIT_LE })).code).toBe('INVALID_LENGTH');

    const undefinedUt = Buffer.from([0x40, 0x00, 0x80, 0xa1, 0x55, 0x54, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(parseError(() => readDataset(undefinedUt, { transferSyntax: EXPLICIT_LE })).code).toBe('INVALID_LENGTH');
  });

  it('INVALID_SEQUENCE: something else than an item inside a sequence', () => {
    const bytes = Buffer.concat([
      Buffer.from([0x08, 0x00, 0x32, 0x10, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      encodeDataset([{ tag: 'PatientID', value: 'A' }], EXPLICIT_LE),
    ]);
    expect(parseError(() => readDataset(bytes, { transferSyntax: EXPLICIT_LE })).code).toBe('INVALID_SEQUENCE');
  });

  it('UNSUPPORTED_TRANSFER_SYNTAX: an unknown UID, or XML encoding', () => {
    expect(parseError(() => readDataset(Buffer.alloc(8), { transferSyntax: '1.2.3.4' })).code).toBe(
      'UNSUPPORTED_TRANSFER_SYNTAX',
    );
    expect(parseError(() => readDataset(Buffer.alloc(8), { transferSyntax: '1.2.840.10008.1.2.6.2' })).code).toBe(
      'UNSUPPORTED_TRANSFER_SYNTAX',
    );
  });
});
