import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readPart10 } from '@pacs/dicom';
import { pydicomPath, pydicomReference } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import { freePort, startApp, stowBody, waitForStatus, startMoveDestination, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const PYTHON = '/usr/bin/python3';
// The imaging library's reference decoder: pydicom (DCMTK first for what pydicom cannot decode).
const PIXEL_REFERENCE = join(__dirname, '..', '..', '..', 'libs', 'dicom-imaging', 'scripts', 'pixel-reference.py');
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

// Compressed files of pydicom's corpus (distinct SOP Instance UIDs, three studies): JPEG Baseline
// in color, 12-bit JPEG Extended, RLE monochrome 16-bit, RLE color with two frames.
const FILES = [
  'test_files/SC_rgb_jpeg_dcmtk.dcm',
  'test_files/JPGExtended.dcm',
  'test_files/MR_small_RLE.dcm',
  'test_files/SC_rgb_rle_2frame.dcm',
];
const LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);
// As the imaging library's own comparison with pydicom: two independent IDCT and color conversions.
const LOSSY_TOLERANCE = { max: 3, mean: 0.5 };

interface Pixels {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly photometric: string;
  readonly samples: number[];
}

/** pydicom's decoding of each file (scripts/pixel-reference.py), by path. */
function decodedByPydicom(paths: readonly string[], scratch: string): Map<string, Pixels> {
  const dir = mkdtempSync(join(scratch, 'pixels-'));
  const output = execFileSync(PYTHON, [PIXEL_REFERENCE, dir, ...paths], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const parsed = JSON.parse(output) as Record<
    string,
    { error?: string; dtype: string; shape: number[]; photometric: string; raw: string }
  >;
  const out = new Map<string, Pixels>();
  for (const [path, entry] of Object.entries(parsed)) {
    if (entry.error !== undefined) throw new Error(`pydicom cannot decode ${path}: ${entry.error}`);
    const bytes = readFileSync(entry.raw);
    const size = Number(entry.dtype.slice(1));
    const signed = entry.dtype.startsWith('i');
    const samples: number[] = [];
    for (let p = 0; p + size <= bytes.length; p += size) {
      if (size === 1) samples.push(signed ? bytes.readInt8(p) : bytes[p]!);
      else if (size === 2) samples.push(signed ? bytes.readInt16LE(p) : bytes.readUInt16LE(p));
      else samples.push(signed ? bytes.readInt32LE(p) : bytes.readUInt32LE(p));
    }
    out.set(path, { dtype: entry.dtype, shape: entry.shape, photometric: entry.photometric, samples });
  }
  return out;
}

function differences(a: readonly number[], b: readonly number[]): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`${a.length} samples against ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { max, mean: a.length === 0 ? 0 : sum / a.length };
}

/** A DCMTK run that may fail: its output either way. */
async function tool(name: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(name, args, dcmtk);
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}` };
  }
}

// The all-in-one process holds compressed instances (stored as sent by STOW-RS); getscu and
// storescp, with DCMTK's default proposals, take uncompressed syntaxes only. The C-GET and C-MOVE
// sub-operations then send each instance transcoded to Explicit VR Little Endian, and what arrives
// decodes to the pixels pydicom decodes from the original files.
describe('pacs process: C-GET and C-MOVE transcode for peers that accept only uncompressed syntaxes', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;
  let storescp: ReturnType<typeof startTool>;
  let storeDir: string;
  let originals: Map<string, Pixels>;
  const reference = (key: string) => pydicomReference()[key]!;
  const studies = [...new Set(FILES.map((key) => reference(key).StudyInstanceUID!))];
  const bySop = new Map(FILES.map((key) => [reference(key).SOPInstanceUID!, key]));

  /** Checks every received file against pydicom's decoding of the original it came from. */
  function expectSamePixels(dir: string): void {
    const received = readdirSync(dir).map((name) => join(dir, name));
    expect(received).toHaveLength(FILES.length);
    const decoded = decodedByPydicom(received, work);
    const seen: string[] = [];
    for (const path of received) {
      const read = readPart10(readFileSync(path));
      if (read.status !== 'complete') throw new Error(`${path} unreadable`);
      const key = bySop.get(read.dataset.string('SOPInstanceUID')!);
      if (!key) throw new Error(`${path} is no instance that was stored`);
      seen.push(key);
      expect({ key, syntax: read.transferSyntax.uid }).toEqual({ key, syntax: EXPLICIT_VR_LITTLE_ENDIAN });
      const original = originals.get(pydicomPath(key))!;
      const ours = decoded.get(path)!;
      expect({ key, dtype: ours.dtype, shape: ours.shape, photometric: ours.photometric }).toEqual({
        key,
        dtype: original.dtype,
        shape: original.shape,
        photometric: original.photometric,
      });
      const diff = differences(ours.samples, original.samples);
      if (LOSSY.has(reference(key).transferSyntaxUID!)) {
        expect({ key, max: diff.max <= LOSSY_TOLERANCE.max, mean: diff.mean <= LOSSY_TOLERANCE.mean }).toEqual({
          key,
          max: true,
          mean: true,
        });
      } else {
        expect({ key, max: diff.max }).toEqual({ key, max: 0 });
      }
    }
    expect(seen.sort()).toEqual([...FILES].sort());
  }

  beforeAll(async () => {
    for (const name of ['getscu', 'movescu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk)`);
      });
    }
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install python3-pydicom and python3-numpy`);
    work = mkdtempSync(join(tmpdir(), 'pacs-dimse-transcode-'));
    originals = decodedByPydicom(FILES.map(pydicomPath), work);
    // DCMTK's default: uncompressed transfer syntaxes only.
    const peer = await startMoveDestination(work);
    storescp = peer.storescp;
    storeDir = peer.storeDir;
    const tenantsFile = peer.tenantsFile;
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    for (const key of FILES) {
      const { contentType, body } = await stowBody([{ body: readFileSync(pydicomPath(key)) }]);
      const response = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies`, {
        method: 'POST',
        headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
        body,
      });
      await response.arrayBuffer();
      expect({ key, status: response.status }).toEqual({ key, status: 200 });
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/instances`);
      const found = (await response.json()) as unknown[];
      if (found.length === FILES.length) break;
      if (Date.now() > deadline) throw new Error(`the ${FILES.length} instances were not indexed within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 90_000);

  afterAll(async () => {
    storescp?.child.kill();
    app?.child.kill('SIGTERM');
    await app?.exited();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('getscu receives each JPEG and RLE instance in Explicit VR Little Endian, decoding as pydicom decodes the original', async () => {
    const dir = join(work, 'get');
    mkdirSync(dir);
    for (const study of studies) {
      const result = await tool('getscu', [
        '-v',
        '-S',
        '-aec',
        'RAD_PACS',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '-od',
        dir,
        '127.0.0.1',
        dicomPort,
      ]);
      expect({ study, output: result.output }).toEqual({
        study,
        output: expect.stringContaining('Received C-GET Response (Success)'),
      });
    }
    expectSamePixels(dir);
  }, 120_000);

  it('movescu has them sent to storescp, transcoded the same way', async () => {
    for (const study of studies) {
      const moved = await tool('movescu', [
        '-v',
        '-S',
        '-aec',
        'RAD_PACS',
        '-aem',
        'STORESCP',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        dicomPort,
      ]);
      expect({ study, output: moved.output }).toEqual({
        study,
        output: expect.stringContaining('Received Final Move Response (Success)'),
      });
    }
    expectSamePixels(storeDir);
  }, 120_000);
});
