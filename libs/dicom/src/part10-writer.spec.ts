import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DicomAttributeError } from './dicom.errors';
import { readPart10, readPart10Header } from './part10';
import { encodeFileMetaGroup, encodePart10Header, PART10_PREAMBLE } from './part10-writer';
import { ctInstanceElements, encodeDataset, pydicomFolder } from './testing';
import { generateUid, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, isValidUid } from './uid';

const meta = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: '1.2.3.4.5.6.7',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  sourceApplicationEntityTitle: 'CT_SCANNER',
};

function attributeError(fn: () => unknown): DicomAttributeError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof DicomAttributeError)) throw error;
    return error;
  }
  throw new Error('expected a DicomAttributeError');
}

describe('file meta group (PS3.10 7.1)', () => {
  it('reads back what it wrote, with a correct group length', () => {
    const group = encodeFileMetaGroup(meta);
    expect(group.length % 2).toBe(0);
    expect(group.readUInt32LE(8)).toBe(group.length - 12); // (0002,0000) UL counts the bytes after it
    const header = readPart10Header(Buffer.concat([PART10_PREAMBLE, group]));
    if (header.status !== 'complete') throw new Error('incomplete');
    expect(header.header.layout).toBe('part10');
    expect(header.header.dataSetOffset).toBe(132 + group.length);
    expect(header.header.meta).toMatchObject({
      groupLength: group.length - 12,
      version: Buffer.from([0x00, 0x01]),
      mediaStorageSopClassUid: meta.sopClassUid,
      mediaStorageSopInstanceUid: meta.sopInstanceUid,
      transferSyntaxUid: meta.transferSyntaxUid,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: 'PACS_0_1',
      sourceApplicationEntityTitle: 'CT_SCANNER',
      sendingApplicationEntityTitle: undefined,
    });
  });

  it('leaves the optional AE titles out unless given, and pads values to even lengths', () => {
    const group = encodeFileMetaGroup({ ...meta, sourceApplicationEntityTitle: undefined, sopInstanceUid: '1.2.3' });
    expect(group.includes('CT_SCANNER')).toBe(false);
    expect(group.includes(Buffer.from('1.2.3\0'))).toBe(true); // UI padded with NUL
    const withAll = encodeFileMetaGroup({
      ...meta,
      sendingApplicationEntityTitle: 'MOD',
      receivingApplicationEntityTitle: 'PACS',
    });
    expect(withAll.includes(Buffer.from('MOD '))).toBe(true); // AE padded with a space
    expect(IMPLEMENTATION_VERSION_NAME.length).toBeLessThanOrEqual(16);
  });

  it('is followed by the data set bytes unchanged', () => {
    const dataset = encodeDataset(ctInstanceElements({ sopInstanceUid: meta.sopInstanceUid, rows: 16, columns: 16 }));
    const file = Buffer.concat([encodePart10Header(meta), dataset]);
    const read = readPart10(file);
    if (read.status !== 'complete') throw new Error('incomplete');
    expect(file.subarray(read.header.dataSetOffset)).toEqual(dataset);
    expect(read.dataset.string('SOPInstanceUID')).toBe(meta.sopInstanceUid);
  });

  it('refuses invalid UIDs and AE titles, naming the attribute', () => {
    expect(attributeError(() => encodeFileMetaGroup({ ...meta, sopInstanceUid: '1.2.03' }))).toMatchObject({
      code: 'INVALID_UID',
      keyword: 'MediaStorageSOPInstanceUID',
    });
    expect(attributeError(() => encodeFileMetaGroup({ ...meta, transferSyntaxUid: '' })).keyword).toBe(
      'TransferSyntaxUID',
    );
    expect(attributeError(() => encodeFileMetaGroup({ ...meta, sopClassUid: `1.${'2'.repeat(64)}` })).code).toBe(
      'INVALID_UID',
    );
    expect(
      attributeError(() => encodeFileMetaGroup({ ...meta, sourceApplicationEntityTitle: 'A'.repeat(17) })),
    ).toMatchObject({
      code: 'INVALID_VALUE',
      keyword: 'SourceApplicationEntityTitle',
    });
    expect(attributeError(() => encodeFileMetaGroup({ ...meta, sourceApplicationEntityTitle: 'A\\B' })).code).toBe(
      'INVALID_VALUE',
    );
    expect(attributeError(() => encodeFileMetaGroup({ ...meta, sourceApplicationEntityTitle: '  ' })).code).toBe(
      'INVALID_VALUE',
    );
  });

  it('writes files pydicom reads without force', () => {
    pydicomFolder('test_files'); // fails, naming the package, when pydicom is absent
    const dir = mkdtempSync(join(tmpdir(), 'pacs-dicom-'));
    try {
      const path = join(dir, 'ct.dcm');
      const elements = ctInstanceElements({ sopInstanceUid: meta.sopInstanceUid, rows: 8, columns: 8 });
      writeFileSync(path, Buffer.concat([encodePart10Header(meta), encodeDataset(elements)]));
      const script = [
        'import json, sys, pydicom',
        'ds = pydicom.dcmread(sys.argv[1])',
        'm = ds.file_meta',
        'print(json.dumps([m.FileMetaInformationGroupLength, str(m.MediaStorageSOPInstanceUID),',
        '  str(m.TransferSyntaxUID), str(m.ImplementationClassUID), m.ImplementationVersionName,',
        '  m.SourceApplicationEntityTitle, str(ds.SOPInstanceUID), str(ds.PatientName), ds.Rows]))',
      ].join('\n');
      const output = execFileSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' });
      const group = encodeFileMetaGroup(meta);
      expect(JSON.parse(output)).toEqual([
        group.length - 12,
        meta.sopInstanceUid,
        meta.transferSyntaxUid,
        IMPLEMENTATION_CLASS_UID,
        'PACS_0_1',
        'CT_SCANNER',
        meta.sopInstanceUid,
        'Doe^John',
        8,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('UIDs', () => {
  it('validates PS3.5 9.1 syntax and length', () => {
    expect(isValidUid('1.2.840.10008.1.2.1')).toBe(true);
    expect(isValidUid('0.1')).toBe(true);
    expect(isValidUid('1.2.03')).toBe(false); // leading zero
    expect(isValidUid('1..2')).toBe(false);
    expect(isValidUid('1.2.')).toBe(false);
    expect(isValidUid('1.2.a')).toBe(false);
    expect(isValidUid('')).toBe(false);
    expect(isValidUid(`1.${'2'.repeat(62)}`)).toBe(true);
    expect(isValidUid(`1.${'2'.repeat(63)}`)).toBe(false); // 65 characters
  });

  it('generates unique 2.25 UIDs (PS3.5 B.2), and has a valid implementation class UID', () => {
    const uids = new Set(Array.from({ length: 1000 }, generateUid));
    expect(uids.size).toBe(1000);
    for (const uid of uids) {
      expect(uid.startsWith('2.25.')).toBe(true);
      expect(isValidUid(uid)).toBe(true);
    }
    expect(isValidUid(IMPLEMENTATION_CLASS_UID)).toBe(true);
  });
});
