import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { readPart10, readPart10Header } from '@pacs/dicom';
import { DimseClient, DimseStatus } from '@pacs/dimse';
import { freePort, startApp, waitForStatus, type AppProcess, filesUnder } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

// Files of pydicom's test folder that are not DICOM instances storescu could send: each one with
// why. Every other file is sent, and must be stored.
const NOT_INSTANCES: Record<string, string> = {
  'README.txt': 'text',
  'dicomdirtests/README.txt': 'text',
  'dicomdirtests/TINY_ALPHA/README': 'text',
  'rtplan.dump': 'dcmdump text output',
  'rtstruct.dump': 'dcmdump text output',
  'test1.json': 'DICOM JSON, not Part 10',
  'test_PN.json': 'DICOM JSON, not Part 10',
  'zipMR.gz': 'a gzip archive',
  'dicomdirtests/DICOMDIR': 'a DICOMDIR (Media Storage Directory): no SOP Instance in its data set',
  'dicomdirtests/DICOMDIR-bigEnd': 'a DICOMDIR',
  'dicomdirtests/DICOMDIR-empty.dcm': 'a DICOMDIR',
  'dicomdirtests/DICOMDIR-implicit': 'a DICOMDIR',
  'dicomdirtests/DICOMDIR-nooffset': 'a DICOMDIR',
  'dicomdirtests/DICOMDIR-nopatient': 'a DICOMDIR',
  'dicomdirtests/DICOMDIR-reordered': 'a DICOMDIR',
  'dicomdirtests/TINY_ALPHA/DICOMDIR': 'a DICOMDIR',
  'UN_sequence.dcm': 'a fragment: one private sequence, no SOP Class/Instance UID',
  'empty_charset_LEI.dcm': 'a fragment: two elements, no SOP Class/Instance UID',
  'nested_priv_SQ.dcm': 'a fragment: nested private sequences, no SOP Class/Instance UID',
  'priv_SQ.dcm': 'a fragment: one private sequence, no SOP Class/Instance UID',
  'no_meta_group_length.dcm': 'a fragment: a few RT Image elements, no SOP Class/Instance UID in the data set',
  // The two below are valid instances that storescu cannot read a SOP Class UID from (it is
  // encoded with VR UN); they are sent with the project's own SCU in a test of their own.
  'rtdose_rle.dcm': 'storescu refuses it: SOP Class UID encoded with VR UN',
  'rtdose_rle_1frame.dcm': 'storescu refuses it: SOP Class UID encoded with VR UN',
  // pydicom reads this one by noticing that its data set is in implicit VR although its meta group
  // says JPEG Baseline (explicit VR); DCMTK cannot read it, and this PACS (which also looks at the
  // first element's VR form) accepts it as pydicom does. Neither well-formed nor refused: not here.
  'SC_rgb_jpeg.dcm': 'data set in implicit VR under an explicit VR transfer syntax',
};

/**
 * Broken files: DCMTK refuses to send them, so their bytes go with the project's own SCU, on a
 * presentation context of the SOP class and transfer syntax they claim. `sopInstanceUid` is the
 * one the C-STORE-RQ announces.
 */
const BROKEN: Record<string, { why: string; sopClassUid: string; transferSyntaxUid: string; sopInstanceUid: string }> =
  {
    'MR_truncated.dcm': {
      why: 'Pixel Data cut short',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sopInstanceUid: '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457',
    },
    'rtplan_truncated.dcm': {
      why: 'ends inside an element of a sequence',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.481.5',
      transferSyntaxUid: IMPLICIT_LE,
      sopInstanceUid: '1.2.777.777.77.7.7777.7777.20030903150023',
    },
    // pydicom's README: "Same as CT_small.dcm with no File Meta Information header"; this copy
    // starts with a stray byte, so neither pydicom nor DCMTK finds more than garbage in it.
    'no_meta.dcm': {
      why: 'no meta group, and unreadable from its first byte',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sopInstanceUid: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
    },
    'meta_missing_tsyntax.dcm': {
      why: 'meta group without Transfer Syntax UID; data set of invalid group 0001 elements only',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      transferSyntaxUid: IMPLICIT_LE,
      sopInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    },
  };

const corpus = filesUnder(PYDICOM)
  .map((path) => relative(PYDICOM, path))
  .sort();
const included = corpus.filter((name) => !(name in NOT_INSTANCES) && !(name in BROKEN));

/**
 * The data set without its Data Set Trailing Padding (FFFC,FFFC) when that is the last element:
 * DCMTK drops it when it sends a data set (PS3.10 7.2: it has no meaning beyond the file).
 */
function withoutTrailingPadding(dataset: Buffer, transferSyntaxUid: string): Buffer {
  const bigEndian = transferSyntaxUid === EXPLICIT_BE;
  const headerLength = transferSyntaxUid === IMPLICIT_LE ? 8 : 12;
  const tag = Buffer.from(bigEndian ? [0xff, 0xfc, 0xff, 0xfc] : [0xfc, 0xff, 0xfc, 0xff]);
  for (let at = dataset.lastIndexOf(tag); at >= 0; at = dataset.lastIndexOf(tag, at - 1)) {
    if (at + headerLength > dataset.length) continue;
    const lengthAt = at + headerLength - 4;
    const length = bigEndian ? dataset.readUInt32BE(lengthAt) : dataset.readUInt32LE(lengthAt);
    if (at + headerLength + length === dataset.length) return dataset.subarray(0, at);
  }
  return dataset;
}

/** A Part 10 file read completely, with its data set bytes. */
function readFile(bytes: Buffer, what: string) {
  const read = readPart10(bytes);
  if (read.status !== 'complete') throw new Error(`${what} is incomplete`);
  return { read, dataset: bytes.subarray(read.header.dataSetOffset) };
}

// pydicom's test files, as Debian's python3-pydicom ships them, sent by storescu to the
// all-in-one process one association per file: every instance is stored as sent (the test reads
// the blob store); broken files are refused and leave nothing behind.
describe('pacs process: pydicom test files over DIMSE', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;
  const hot = () => join(work, 'data', 'blobs', 'hot');

  beforeAll(async () => {
    for (const tool of ['storescu', 'echoscu', 'dcmconv']) {
      await run('which', [tool]).catch(() => {
        throw new Error(`${tool} is missing: install DCMTK (apt-get install dcmtk, or npm test's pretest does it)`);
      });
    }
    if (!existsSync(PYDICOM)) throw new Error(`${PYDICOM} is missing: apt-get install python3-pydicom`);
    work = mkdtempSync(join(tmpdir(), 'pacs-pydicom-'));
    mkdirSync(join(work, 'reference'));
    mkdirSync(join(work, 'config'));
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('lists every file of the folder as sent, excluded or broken', () => {
    expect(included.length).toBeGreaterThan(90);
    for (const name of [...Object.keys(NOT_INSTANCES), ...Object.keys(BROKEN)]) expect(corpus).toContain(name);
  });

  it.each(included)(
    'stores %s as storescu sends it, in its own transfer syntax',
    async (name) => {
      const source = join(PYDICOM, name);
      // The reference: DCMTK re-encodes what it sends (sequence and item lengths, group lengths,
      // no trailing padding), so the bytes to expect are dcmconv's encoding of the file in the
      // same transfer syntax (dcmconv's default), without the trailing padding element.
      const converted = join(work, 'reference', name.replaceAll('/', '_'));
      await run('dcmconv', [source, converted], dcmtk);
      const reference = readFile(readFileSync(converted), `dcmconv's copy of ${name}`);
      const transferSyntaxUid = reference.read.header.meta!.transferSyntaxUid!;
      const sopClassUid = reference.read.dataset.string('SOPClassUID')!;
      const sopInstanceUid = reference.read.dataset.string('SOPInstanceUID')!;
      const folder = join(
        hot(),
        'default',
        reference.read.dataset.string('StudyInstanceUID')!,
        reference.read.dataset.string('SeriesInstanceUID')!,
        sopInstanceUid,
      );

      // Propose exactly the file's own transfer syntax (a storescu profile file), so that
      // storescu sends the data set as it is encoded, compressed ones included.
      const config = join(work, 'config', `${name.replaceAll('/', '_')}.cfg`);
      writeFileSync(
        config,
        [
          '[[TransferSyntaxes]]',
          '[Own]',
          `TransferSyntax1 = ${transferSyntaxUid}`,
          '[[PresentationContexts]]',
          '[Own]',
          `PresentationContext1 = ${sopClassUid}\\Own`,
          '[[Profiles]]',
          '[Own]',
          'PresentationContexts = Own',
          '',
        ].join('\n'),
      );
      const before = new Set(filesUnder(folder));
      const sent = await run(
        'storescu',
        ['-v', '-xf', config, 'Own', '-aet', 'PYDICOM', '-aec', 'PACS', '127.0.0.1', dicomPort, source],
        dcmtk,
      );
      expect(`${sent.stdout}${sent.stderr}`).toContain('Received Store Response (Success)');

      // Several files of the folder are the same instance in other encodings (MR_small*.dcm...):
      // each is a new version beside the others, or, encoded identically, a duplicate.
      const copies = filesUnder(folder);
      const added = copies.filter((file) => !before.has(file));
      expect(added.length).toBeLessThanOrEqual(1);
      const expected = withoutTrailingPadding(reference.dataset, transferSyntaxUid);
      // Deflate has many valid encodings of the same bytes (and DCMTK pads the network stream to
      // an even length): for the deflated syntax the inflated data sets are compared.
      const comparable = (dataset: Buffer) => (transferSyntaxUid === DEFLATED ? inflateRawSync(dataset) : dataset);
      const matches = (file: string) => {
        const stored = readFile(readFileSync(file), `stored ${file}`);
        return (
          stored.read.header.meta?.transferSyntaxUid === transferSyntaxUid &&
          stored.read.header.meta?.mediaStorageSopInstanceUid === sopInstanceUid &&
          comparable(stored.dataset).equals(comparable(expected))
        );
      };
      expect(added.every(matches)).toBe(true);
      expect(copies.some(matches)).toBe(true);
    },
    60_000,
  );

  it.each(['rtdose_rle.dcm', 'rtdose_rle_1frame.dcm'])(
    'stores %s (SOP Class UID with VR UN, which storescu cannot read) byte for byte from another SCU',
    async (name) => {
      const bytes = readFileSync(join(PYDICOM, name));
      const header = readPart10Header(bytes, { final: true });
      if (header.status !== 'complete') throw new Error(`${name} has no readable meta group`);
      const { meta, dataSetOffset } = header.header;
      const dataset = bytes.subarray(dataSetOffset);
      const association = await DimseClient.connect({
        host: '127.0.0.1',
        port: Number(dicomPort),
        callingAeTitle: 'PYDICOM',
        calledAeTitle: 'PACS',
        presentationContexts: [
          { abstractSyntax: meta!.mediaStorageSopClassUid!, transferSyntaxes: [meta!.transferSyntaxUid!] },
        ],
      });
      const before = new Set(filesUnder(hot()));
      try {
        const response = await association.store({
          sopClassUid: meta!.mediaStorageSopClassUid!,
          sopInstanceUid: meta!.mediaStorageSopInstanceUid!,
          dataset,
        });
        expect(response.status).toBe(DimseStatus.Success);
      } finally {
        await association.release();
      }
      const stored = filesUnder(hot()).filter((file) => file.includes(`/${meta!.mediaStorageSopInstanceUid}/`));
      const added = stored.filter((file) => !before.has(file));
      expect(added.length).toBeLessThanOrEqual(1);
      const datasets = stored.map((file) => readFile(readFileSync(file), file).dataset);
      expect(datasets.some((stored) => stored.equals(dataset))).toBe(true);
    },
    30_000,
  );

  it.each(Object.entries(BROKEN))(
    'refuses %s, stores nothing of it, and the next association works',
    async (name, { sopClassUid, transferSyntaxUid, sopInstanceUid }) => {
      const bytes = readFileSync(join(PYDICOM, name));
      // storescu refuses to send it (it cannot read the file): its bytes go with the project's SCU.
      const refused = await run('storescu', ['-aec', 'PACS', '127.0.0.1', dicomPort, join(PYDICOM, name)], dcmtk).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
      expect(refused).not.toBe(0);
      // After the meta group when there is one; the whole file when none can be found.
      let dataset = bytes;
      try {
        const header = readPart10Header(bytes, { final: true });
        if (header.status === 'complete' && header.header.layout !== 'dataset-only') {
          dataset = bytes.subarray(header.header.dataSetOffset);
        }
      } catch {
        // no_meta.dcm: nothing recognisable, sent as it is.
      }
      const before = filesUnder(hot()).sort();
      const association = await DimseClient.connect({
        host: '127.0.0.1',
        port: Number(dicomPort),
        callingAeTitle: 'PYDICOM',
        calledAeTitle: 'PACS',
        presentationContexts: [{ abstractSyntax: sopClassUid, transferSyntaxes: [transferSyntaxUid] }],
      });
      try {
        const response = await association.store({ sopClassUid, sopInstanceUid, dataset });
        expect([DimseStatus.CannotUnderstand, DimseStatus.DataSetDoesNotMatchSopClass]).toContain(response.status);
      } finally {
        await association.release();
      }
      expect(filesUnder(hot()).sort()).toEqual(before);
      await run('echoscu', ['-aet', 'PYDICOM', '-aec', 'PACS', '127.0.0.1', dicomPort], dcmtk);
    },
    30_000,
  );
});
