import { readFileSync } from 'node:fs';
import { readDataset } from './dataset-reader';
import { DicomAttributeError, DicomParseError } from './dicom.errors';
import { toDicomJson } from './dicom-json';
import { extractIndexAttributes } from './index-attributes';
import { readPart10, readPart10Header, type Part10ReadResult } from './part10';
import { PIXEL_DATA_TAG } from './tag';
import {
  ctInstanceFile,
  encodeDataset,
  listPydicomFiles,
  pydicomPath,
  pydicomReference,
  type TestElement,
} from './testing';

function parseError(fn: () => unknown): DicomParseError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof DicomParseError)) throw error;
    return error;
  }
  throw new Error('expected a DicomParseError');
}

function complete(result: Part10ReadResult): Extract<Part10ReadResult, { status: 'complete' }> {
  if (result.status !== 'complete') throw new Error(`expected a complete read, got ${JSON.stringify(result)}`);
  return result;
}

const reference = pydicomReference();
const allFiles = listPydicomFiles('test_files');
const readable = allFiles.filter((key) => reference[key]?.readable);
const forced = allFiles.filter((key) => reference[key]?.forced);
const read = (key: string): Buffer => readFileSync(pydicomPath(key));

/**
 * Files pydicom reads leniently but that are malformed; the archive must refuse them (the header,
 * before pixel data, is already broken).
 */
const REFUSED: Record<string, string> = {
  // Cut inside a sequence (the file's purpose in pydicom's suite).
  'test_files/rtplan_truncated.dcm': 'TRUNCATED',
  // The last directory record's item length runs past its sequence and the end of the file.
  'test_files/dicomdirtests/DICOMDIR-nooffset': 'INVALID_LENGTH',
};

/** Files whose header is fine but whose pixel data is cut: only a full read refuses them. */
const PIXEL_DATA_TRUNCATED = new Set(['test_files/MR_truncated.dcm']);

describe("pydicom's test_files that pydicom reads", () => {
  it('has the files', () => {
    expect(readable.length).toBeGreaterThan(100);
  });

  it.each(readable.filter((key) => !REFUSED[key]))('%s: identifiers equal pydicom', (key) => {
    const theirs = reference[key]!;
    const { header, dataset, stoppedAt } = complete(readPart10(read(key), { untilTag: PIXEL_DATA_TAG }));
    // pydicom says '' for a present but empty value, where we say absent.
    const same = (ours: string | undefined, expected: string | null | undefined): void =>
      expect(ours ?? null).toBe(expected || null);
    same(header.meta?.transferSyntaxUid, theirs.transferSyntaxUID);
    same(header.meta?.mediaStorageSopInstanceUid, theirs.mediaStorageSOPInstanceUID);
    same(dataset.string('StudyInstanceUID'), theirs.StudyInstanceUID);
    same(dataset.string('SeriesInstanceUID'), theirs.SeriesInstanceUID);
    same(dataset.string('SOPInstanceUID'), theirs.SOPInstanceUID);
    same(dataset.string('SOPClassUID'), theirs.SOPClassUID);
    same(dataset.string('Modality'), theirs.Modality);
    expect(header.transferSyntax.explicitVr).toBe(!theirs.isImplicitVR);
    expect(header.transferSyntax.littleEndian).toBe(theirs.isLittleEndian);
    if (stoppedAt === undefined) expect(dataset.has('PixelData')).toBe(false);
  });

  it.each(readable.filter((key) => !REFUSED[key]))('%s: reads to the end, pixel data included', (key) => {
    if (PIXEL_DATA_TRUNCATED.has(key)) {
      expect(parseError(() => readPart10(read(key))).code).toBe('TRUNCATED');
      return;
    }
    const full = complete(readPart10(read(key)));
    expect(full.stoppedAt).toBeUndefined();
    expect(full.end).toBe(full.dataset.bytes.length);
  });

  it.each(Object.entries(REFUSED))('%s is refused with %s', (key, code) => {
    expect(reference[key]?.readable).toBe(true);
    expect(parseError(() => readPart10(read(key), { untilTag: PIXEL_DATA_TAG })).code).toBe(code);
  });
});

describe('files without preamble or meta group', () => {
  it.each(forced)('%s: a bare data set, read as pydicom reads it with force', (key) => {
    const theirs = reference[key]!;
    const { header, dataset } = complete(readPart10(read(key)));
    expect(header.layout).toBe('dataset-only');
    expect(header.transferSyntaxDetected).toBe(true);
    expect(header.transferSyntax.explicitVr).toBe(!theirs.isImplicitVR);
    expect(header.transferSyntax.littleEndian).toBe(theirs.isLittleEndian);
    expect(dataset.string('SOPInstanceUID') ?? null).toBe(theirs.SOPInstanceUID);
    expect(dataset.string('StudyInstanceUID') ?? null).toBe(theirs.StudyInstanceUID);
  });

  it('reads a file that starts with its meta group (no preamble)', () => {
    const file = read('test_files/CT_small.dcm');
    const { header, dataset } = complete(readPart10(file.subarray(132), { untilTag: PIXEL_DATA_TAG }));
    expect(header.layout).toBe('meta-without-preamble');
    expect(header.transferSyntax.uid).toBe('1.2.840.10008.1.2.1');
    expect(dataset.string('SOPInstanceUID')).toBe(reference['test_files/CT_small.dcm']!.SOPInstanceUID);
  });

  it('recognises a meta group without group length and one without Transfer Syntax UID', () => {
    const noLength = complete(readPart10(read('test_files/no_meta_group_length.dcm')));
    expect(noLength.header.meta!.groupLength).toBeUndefined();
    const noSyntax = complete(readPart10(read('test_files/meta_missing_tsyntax.dcm')));
    expect(noSyntax.header.meta!.transferSyntaxUid).toBeUndefined();
    expect(noSyntax.header.transferSyntaxDetected).toBe(true);
    expect(noSyntax.header.transferSyntax.uid).toBe('1.2.840.10008.1.2');
  });
});

describe('what is not DICOM', () => {
  const notDicom = allFiles.filter((key) => !reference[key]?.readable && !reference[key]?.forced);

  it.each(notDicom)('%s is NOT_DICOM', (key) => {
    // Text, JSON, gzip, and no_meta.dcm: a data set behind a stray byte, which pydicom cannot read
    // either (its forced read finds no SOP Instance UID).
    expect(parseError(() => readPart10(read(key))).code).toBe('NOT_DICOM');
  });

  it('garbage bytes are NOT_DICOM', () => {
    const garbage = Buffer.alloc(4096);
    let state = 12345;
    for (let i = 0; i < garbage.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      garbage[i] = state >>> 24;
    }
    expect(parseError(() => readPart10(garbage))).toMatchObject({ code: 'NOT_DICOM', offset: 0 });
    expect(parseError(() => readPart10(Buffer.from('Hello, this is not an image at all.'))).code).toBe('NOT_DICOM');
    expect(parseError(() => readPart10(Buffer.alloc(0))).code).toBe('NOT_DICOM');
  });

  it('an unknown transfer syntax in the meta group is UNSUPPORTED_TRANSFER_SYNTAX', () => {
    const file = ctInstanceFile({ transferSyntaxUid: '1.2.840.10008.1.2.1' });
    const patched = Buffer.from(file);
    const at = patched.indexOf('1.2.840.10008.1.2.1\0');
    patched.write('1.2.840.10008.9.9.9', at, 'latin1');
    expect(parseError(() => readPart10(patched))).toMatchObject({
      code: 'UNSUPPORTED_TRANSFER_SYNTAX',
      tag: 0x00020010,
    });
  });
});

describe('truncated copies', () => {
  const files = [
    'test_files/CT_small.dcm', // explicit VR little endian
    'test_files/MR_small_implicit.dcm',
    'test_files/MR_small_bigendian.dcm',
    'test_files/image_dfl.dcm', // deflated
    'test_files/JPEG2000.dcm', // encapsulated
    'test_files/test-SR.dcm', // deep sequences
    'test_files/rtplan.dcm', // implicit VR sequences
    'test_files/waveform_ecg.dcm',
    'charset_files/chrH31.dcm',
  ];
  const cuts = [0.1, 0.5, 0.99];

  // A cut exactly between two top-level elements leaves a shorter data set that is valid: no
  // parser can tell it from a complete one (see the last test). Such a cut moves on by one byte.
  function boundaries(file: Buffer): Set<number> {
    const { dataset } = complete(readPart10(file));
    return new Set([...dataset].map((element) => element.headerOffset));
  }

  it.each(files.flatMap((key) => cuts.map((cut) => [key, cut] as const)))('%s cut at %s is TRUNCATED', (key, cut) => {
    const file = read(key);
    let length = Math.floor(file.length * cut);
    if (!key.includes('_dfl') && boundaries(file).has(length)) length++;
    const prefix = file.subarray(0, length);
    expect(parseError(() => readPart10(prefix))).toMatchObject({ code: 'TRUNCATED' });
    // As the first bytes of a stream, the same prefix just asks for more.
    expect(readPart10(prefix, { final: false }).status).toBe('need-more-bytes');
  });

  it('a cut between two top-level elements is a shorter valid data set', () => {
    const file = read('test_files/JPEG2000.dcm');
    const { dataset } = complete(readPart10(file));
    const cut = dataset.get('PatientName')!.headerOffset;
    const shorter = complete(readPart10(file.subarray(0, cut)));
    expect(shorter.dataset.has('PatientName')).toBe(false);
    expect(shorter.dataset.has('SOPInstanceUID')).toBe(true);
  });

  it('never answers a cut file with anything but TRUNCATED or a shorter data set', () => {
    const file = read('test_files/rtplan.dcm');
    for (let cut = 200; cut < file.length; cut += 7) {
      try {
        readPart10(file.subarray(0, cut));
      } catch (error) {
        expect(error).toBeInstanceOf(DicomParseError);
        expect((error as DicomParseError).code).toBe('TRUNCATED');
      }
    }
  });
});

describe('streaming a file in', () => {
  it('asks for more until the header is complete, then reads it without the pixel data', () => {
    const file = ctInstanceFile();
    let available = 64;
    let reads = 0;
    for (;;) {
      const result = readPart10(file.subarray(0, available), { untilTag: PIXEL_DATA_TAG, final: false });
      reads++;
      if (result.status === 'complete') {
        expect(result.stoppedAt).toBe(PIXEL_DATA_TAG);
        expect(result.dataset.string('Modality')).toBe('CT');
        expect(available).toBeLessThan(8 * 1024); // the 0.5 MB of pixel data never needed
        break;
      }
      expect(result.needed).toBeGreaterThan(available);
      available = Math.max(result.needed, available + 512);
    }
    expect(reads).toBeGreaterThan(1);
  });

  it('reads the meta group of a prefix and says where the data set starts', () => {
    const file = read('test_files/CT_small.dcm');
    expect(readPart10Header(file.subarray(0, 100), { final: false }).status).toBe('need-more-bytes');
    const header = readPart10Header(file.subarray(0, 400), { final: false });
    if (header.status !== 'complete') throw new Error('incomplete');
    expect(header.header.layout).toBe('part10');
    expect(header.header.meta!.implementationClassUid).toBeDefined();
    expect(file.readUInt16LE(header.header.dataSetOffset)).toBe(0x0008);
  });
});

describe('corrupted bytes', () => {
  // Deterministic byte flips in real files: whatever happens, the reader, the JSON writer and the
  // attribute extractor answer with a typed error or a result, never a RangeError or TypeError.
  const files = [
    'test_files/CT_small.dcm',
    'test_files/MR_small_implicit.dcm',
    'test_files/MR_small_bigendian.dcm',
    'test_files/test-SR.dcm',
    'test_files/image_dfl.dcm',
    'test_files/JPEG2000.dcm',
    'charset_files/chrH32.dcm',
  ];

  it.each(files)('%s with random byte flips', (key) => {
    const original = read(key);
    let state = 42;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(original);
      const flips = 1 + random(4);
      for (let i = 0; i < flips; i++) bytes[random(Math.min(bytes.length, 4096))] = random(256);
      let outcome = 'ok';
      try {
        const result = readPart10(bytes);
        if (result.status === 'complete') {
          toDicomJson(result.dataset, { bulkDataUri: (r) => r.path });
          extractIndexAttributes(result.dataset);
        }
      } catch (error) {
        if (!(error instanceof DicomParseError) && !(error instanceof DicomAttributeError)) throw error;
        outcome = error.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b)).toBe(300);
  });

  it('refuses sequences nested beyond any real use', () => {
    let nested: TestElement[] = [{ tag: 'CodeValue', value: 'X' }];
    for (let i = 0; i < 200; i++) nested = [{ tag: 'ContentSequence', value: [nested] }];
    expect(parseError(() => readDataset(encodeDataset(nested), { transferSyntax: '1.2.840.10008.1.2.1' })).code).toBe(
      'INVALID_SEQUENCE',
    );
  });
});
