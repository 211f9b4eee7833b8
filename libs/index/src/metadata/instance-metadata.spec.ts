import { readFileSync } from 'node:fs';
import { BlobStoreError } from '@pacs/blob-store';
import {
  DicomParseError,
  formatTag,
  generateUid,
  readPart10,
  tagOf,
  toDicomJson,
  type DicomJsonDataset,
} from '@pacs/dicom';
import {
  ctInstanceElements,
  ctInstanceFile,
  encodePart10File,
  listPydicomFiles,
  pydicomPath,
  pydicomReference,
  type TestElement,
} from '@pacs/dicom/testing';
import { bulkDataUri } from './bulk-data-uri';
import { instanceMetadata } from './instance-metadata';
import { InstanceMetadataReader, StoredCopyMismatchError } from './instance-metadata.reader';
import { RangedBlobStore } from './ranged-blob-store.fixture';
import { readStoredHeader } from './read-stored-header';

const key = (keyword: string) => formatTag(tagOf(keyword));
const GiB = 1024 ** 3;
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** What the metadata must be: the full parse of the file in DICOM JSON, cut after its first pixel data attribute. */
function expectedOf(file: Buffer): DicomJsonDataset {
  const full = readPart10(file);
  if (full.status !== 'complete') throw new Error('incomplete test file');
  const json = toDicomJson(full.dataset, { bulkDataUri: (reference) => bulkDataUri(reference.path) });
  const firstPixelData = Object.keys(json).find((tag) => ['7FE00008', '7FE00009', '7FE00010'].includes(tag));
  return Object.fromEntries(Object.entries(json).filter(([tag]) => tag < '7FE00008' || tag === firstPixelData));
}

async function metadataOf(file: Buffer, firstReadBytes?: number) {
  const store = new RangedBlobStore().addBuffer('copy.dcm', file);
  const { read, bytesRead } = await readStoredHeader(store, 'copy.dcm', file.length, { firstReadBytes });
  return { metadata: instanceMetadata(read), bytesRead, store };
}

/** Copies of `prefix` then zeros up to `size`: an object of any size whose bytes after the prefix are never built unless read. */
function virtualObject(store: RangedBlobStore, objectKey: string, prefix: Buffer, size: number): RangedBlobStore {
  return store.add(objectKey, size, (start, end) => {
    const out = Buffer.alloc(end - start + 1);
    if (start < prefix.length) prefix.copy(out, 0, start, Math.min(prefix.length, end + 1));
    return out;
  });
}

const withoutPixelData = (elements: TestElement[]) => elements.filter((e) => e.tag !== 'PixelData');

describe('instance metadata from the stored copy', () => {
  it('holds every attribute of a CT header, with Pixel Data as a BulkDataURI, read from one 64 KiB prefix', async () => {
    const file = ctInstanceFile({ patientName: 'Müller^Jürgen', instanceNumber: 7 });
    const { metadata, bytesRead } = await metadataOf(file);
    expect(file.length).toBeGreaterThan(512 * 1024);
    expect(bytesRead).toBe(64 * 1024);
    expect(metadata).toEqual(expectedOf(file));
    expect(metadata['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' });
    expect(metadata[key('PatientName')]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Müller^Jürgen' }] });
    expect(metadata[key('InstanceNumber')]).toEqual({ vr: 'IS', Value: [7] });
    expect(metadata['00091003']).toEqual({ vr: 'OB', InlineBinary: Buffer.alloc(256, 0x5a).toString('base64') });
    expect(metadata[key('ReferencedImageSequence')]!.Value).toHaveLength(1);
    expect(Object.keys(metadata).some((tag) => tag.startsWith('0002'))).toBe(false);
  });

  it('gives long and nested values BulkDataURIs by tag path, and grows its reads for a large header', async () => {
    const elements: TestElement[] = [
      ...withoutPixelData(ctInstanceElements({ rows: 16, columns: 16 })),
      { tag: 0x00091004, vr: 'OB', value: Buffer.alloc(200_000, 7) },
      {
        tag: 'IconImageSequence',
        value: [
          [
            { tag: 'Rows', value: 8 },
            { tag: 'Columns', value: 8 },
            { tag: 'PixelData', vr: 'OB', value: Buffer.alloc(64, 1) },
          ],
        ],
      },
      { tag: 'PixelData', vr: 'OW', value: Buffer.alloc(16 * 16 * 2) },
    ];
    const file = encodePart10File({ elements, transferSyntaxUid: EXPLICIT_LE });
    const { metadata, store } = await metadataOf(file, 1024);
    expect(metadata).toEqual(expectedOf(file));
    expect(metadata['00091004']).toEqual({ vr: 'OB', BulkDataURI: 'bulkdata/00091004' });
    const icon = metadata[key('IconImageSequence')]!.Value![0] as DicomJsonDataset;
    expect(icon['7FE00010']).toEqual({ vr: 'OB', BulkDataURI: `bulkdata/${key('IconImageSequence')}/0/7FE00010` });
    expect(store.reads.length).toBeGreaterThan(1);
    // Each read continues where the previous ended.
    store.reads.forEach((read, i) => expect(read.start).toBe(i === 0 ? 0 : store.reads[i - 1]!.end + 1));
  });

  it.each([
    ['Explicit VR Little Endian', EXPLICIT_LE, 'OW'],
    ['Implicit VR Little Endian', IMPLICIT_LE, 'OW'],
    ['JPEG Baseline (encapsulated)', JPEG_BASELINE, 'OB'],
  ])('reads only the header of a 3 GiB copy in %s', async (_name, syntax, vr) => {
    const header = encodePart10File({
      elements: withoutPixelData(ctInstanceElements()),
      transferSyntaxUid: syntax,
    });
    const pixelLength = 3 * GiB;
    const tag = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);
    const length = (n: number) => {
      const out = Buffer.alloc(4);
      out.writeUInt32LE(n);
      return out;
    };
    const item = (n: number) => Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), length(n)]);
    const pixelHeader =
      syntax === IMPLICIT_LE
        ? Buffer.concat([tag, length(pixelLength)])
        : syntax === EXPLICIT_LE
          ? Buffer.concat([tag, Buffer.from('OW\0\0', 'latin1'), length(pixelLength)])
          : // Undefined length, an empty Basic Offset Table, then one fragment of 3 GiB (PS3.5 A.4).
            Buffer.concat([tag, Buffer.from('OB\0\0', 'latin1'), length(0xffffffff), item(0), item(pixelLength)]);
    const prefix = Buffer.concat([header, pixelHeader]);
    const store = virtualObject(new RangedBlobStore(), 'big.dcm', prefix, prefix.length + pixelLength + 8);
    const sop = readPart10(header);
    const sopInstanceUid = sop.status === 'complete' ? sop.dataset.string('SOPInstanceUID')! : '';
    const metadata = await new InstanceMetadataReader(store).read({
      sopInstanceUid,
      blob: { key: 'big.dcm', size: prefix.length + pixelLength + 8 },
    });
    expect(store.readUpTo).toBeLessThanOrEqual(64 * 1024);
    expect(metadata['7FE00010']).toEqual({ vr, BulkDataURI: 'bulkdata/7FE00010' });
    expect(metadata[key('SOPInstanceUID')]).toEqual({ vr: 'UI', Value: [sopInstanceUid] });
  });

  it('reads a deflated data set (PS3.5 A.5) up to its pixel data', async () => {
    const file = ctInstanceFile({ transferSyntaxUid: DEFLATED, rows: 64, columns: 64 });
    const { metadata } = await metadataOf(file, 512);
    expect(metadata).toEqual(expectedOf(file));
    expect(metadata['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' });
  });

  it('rejects a copy that is not DICOM, is missing, is cut inside its header, or holds another instance', async () => {
    const file = ctInstanceFile({ rows: 16, columns: 16 });
    const sopInstanceUid = generateUid();
    const store = new RangedBlobStore()
      .addBuffer('garbage', Buffer.from('this is not a DICOM file at all, just some text'))
      .addBuffer('cut', file.subarray(0, 700))
      .addBuffer('other', file);
    const reader = new InstanceMetadataReader(store);
    const copy = (blobKey: string, size: number) => ({ sopInstanceUid, blob: { key: blobKey, size } });
    await expect(reader.read(copy('garbage', 47))).rejects.toBeInstanceOf(DicomParseError);
    await expect(reader.read(copy('missing', 1000))).rejects.toBeInstanceOf(BlobStoreError);
    await expect(reader.read(copy('cut', 700))).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(reader.read(copy('other', file.length))).rejects.toBeInstanceOf(StoredCopyMismatchError);
  });

  it('refuses a header larger than the limit instead of holding it in memory', async () => {
    const elements: TestElement[] = [
      ...withoutPixelData(ctInstanceElements({ rows: 16, columns: 16 })),
      { tag: 0x00091004, vr: 'OB', value: Buffer.alloc(300_000, 7) },
      { tag: 'PixelData', vr: 'OW', value: Buffer.alloc(16 * 16 * 2) },
    ];
    const file = encodePart10File({ elements, transferSyntaxUid: EXPLICIT_LE });
    const store = new RangedBlobStore().addBuffer('copy.dcm', file);
    await expect(
      readStoredHeader(store, 'copy.dcm', file.length, { firstReadBytes: 4096, maxHeaderBytes: 100_000 }),
    ).rejects.toMatchObject({ code: 'INVALID_LENGTH' });
    expect(store.readUpTo).toBeLessThanOrEqual(100_000);
  });
});

// pydicom's test files: many writers, syntaxes and quirks. Read through small growing ranges, the
// metadata must be what a full parse of the file gives up to its pixel data. The pixel data's VR
// is pydicom's where it states one: a full parse types encapsulated pixel data written in implicit
// VR (SC_rgb_jpeg.dcm) OW from the dictionary, where the header read knows it is OB (PS3.5 A.4).
describe('instance metadata of the pydicom corpus', () => {
  const reference = pydicomReference();
  const files = listPydicomFiles('test_files').filter((file) => file.endsWith('.dcm') && reference[file]?.readable);

  it('has the files', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files)('%s', async (file) => {
    const bytes = readFileSync(pydicomPath(file));
    let expected: DicomJsonDataset;
    try {
      expected = expectedOf(bytes);
    } catch {
      return; // files our parser refuses are covered by @pacs/dicom's own tests
    }
    const { metadata, bytesRead } = await metadataOf(bytes, 256);
    const { '7FE00010': pixelData, ...rest } = metadata;
    const { '7FE00010': expectedPixelData, ...expectedRest } = expected;
    expect(rest).toEqual(expectedRest);
    expect(pixelData?.BulkDataURI).toEqual(expectedPixelData?.BulkDataURI);
    if (pixelData) {
      expect(pixelData.BulkDataURI).toBe('bulkdata/7FE00010');
      const theirs = (reference[file]!.json as Record<string, { vr?: string }> | undefined)?.['7FE00010']?.vr;
      expect(pixelData.vr).toBe(theirs === 'OB' || theirs === 'OW' ? theirs : expectedPixelData!.vr);
    }
    expect(bytesRead).toBeLessThanOrEqual(bytes.length);
  });
});
