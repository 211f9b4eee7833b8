import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { generateUid, readPart10, type DicomJsonDataset } from '@pacs/dicom';
import { ctInstanceFile, pydicomPath } from '@pacs/dicom/testing';
import { parseMultipartRelated, readMultipart } from '@pacs/multipart';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';
import { api } from 'dicomweb-client';
import { decode as decodeJpeg } from 'jpeg-js';

// dicomweb-client is the browser client of the OHIF viewer (XMLHttpRequest from xhr2 in Node).
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2');

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const RLE = '1.2.840.10008.1.2.5';
const PYDICOM = '/usr/bin/python3';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

interface Part {
  readonly contentType: string | undefined;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

interface StoredFile {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly bytes: Buffer;
}

/** 16x16 CT pixels, distinct per instance. */
function ctPixels(base: number): Buffer {
  const pixels = Buffer.alloc(16 * 16 * 2);
  for (let i = 0; i < 256; i++) pixels.writeUInt16LE(base + (i % 64), i * 2);
  return pixels;
}

function identify(bytes: Buffer): StoredFile {
  const read = readPart10(bytes);
  if (read.status !== 'complete') throw new Error('incomplete test file');
  const uid = (keyword: string) => read.dataset.string(keyword)!;
  return {
    studyInstanceUid: uid('StudyInstanceUID'),
    seriesInstanceUid: uid('SeriesInstanceUID'),
    sopInstanceUid: uid('SOPInstanceUID'),
    bytes,
  };
}

function parsed(bytes: Buffer) {
  const read = readPart10(bytes);
  if (read.status !== 'complete') throw new Error('incomplete answer');
  return read;
}

/** The fragments of encapsulated pixel data, offset table left out. */
function fragmentsOf(bytes: Buffer): Buffer[] {
  const read = parsed(bytes);
  const pixels = read.dataset.get('PixelData')!;
  return pixels.fragments!.slice(1).map((f) => read.dataset.bytes.subarray(f.offset, f.offset + f.length));
}

/** pydicom's decoded pixels of a frame (RGB, 8 bits), as raw bytes. */
function pydicomFrame(file: string, index: number): Buffer {
  const script = `import pydicom,base64,sys; a=pydicom.dcmread(sys.argv[1]).pixel_array; a=a[${index}] if a.ndim==4 else a; print(base64.b64encode(a.tobytes()).decode())`;
  return Buffer.from(execFileSync(PYDICOM, ['-c', script, file], { encoding: 'utf8' }).trim(), 'base64');
}

/** Width and height of a PNG, after checking that its image data inflates to that size. */
function decodePng(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  let bytesPerSample = 1;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bytesPerSample = data[8] === 16 ? 2 : 1;
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[data[9]!]!;
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * channels * bytesPerSample));
  return { width, height };
}

describe('pacs process: WADO-RS and WADO-URI', () => {
  let work: string;
  let app: AppProcess;

  // Default tenant. Study A: a CT series of three (Explicit VR Little Endian) and a second series of
  // one stored in Implicit VR Little Endian; its UID sorts after the first's.
  const studyA = generateUid();
  const seriesA1 = generateUid();
  const seriesA2 = `${seriesA1}.2`;
  const ctA = [1, 2, 3].map((n) =>
    identify(
      ctInstanceFile({
        studyInstanceUid: studyA,
        seriesInstanceUid: seriesA1,
        sopInstanceUid: generateUid(),
        instanceNumber: n,
        rows: 16,
        columns: 16,
        pixelData: ctPixels(n * 500),
      }),
    ),
  );
  const ctImplicit = identify(
    ctInstanceFile({
      studyInstanceUid: studyA,
      seriesInstanceUid: seriesA2,
      sopInstanceUid: generateUid(),
      rows: 16,
      columns: 16,
      pixelData: ctPixels(2000),
      transferSyntaxUid: IMPLICIT,
    }),
  );
  // pydicom's corpus: one study with a JPEG Baseline (lossy) and a 2-frame RLE instance; an RT Dose
  // of 15 native frames in Implicit VR Little Endian.
  const jpegPath = pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm');
  const rlePath = pydicomPath('test_files/SC_rgb_rle_2frame.dcm');
  const jpeg = identify(readFileSync(jpegPath));
  const rle = identify(readFileSync(rlePath));
  const dose = identify(readFileSync(pydicomPath('test_files/rtdose.dcm')));
  // A study that grows during the tests (ETag), and the oncology tenant's study.
  const studyE = generateUid();
  const growing = [1, 2].map((n) =>
    identify(
      ctInstanceFile({ studyInstanceUid: studyE, instanceNumber: n, rows: 16, columns: 16, pixelData: ctPixels(7) }),
    ),
  );
  const ctC = identify(ctInstanceFile({ rows: 16, columns: 16, pixelData: ctPixels(9) }));

  const instancePath = (f: StoredFile) =>
    `/studies/${f.studyInstanceUid}/series/${f.seriesInstanceUid}/instances/${f.sopInstanceUid}`;

  async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${app.baseUrl}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function partsOf(answer: Answer): Promise<Part[]> {
    const contentType = parseMultipartRelated(answer.headers.get('content-type') ?? undefined);
    const out: Part[] = [];
    for await (const part of readMultipart(Readable.from([answer.body]), contentType)) {
      const chunks: Buffer[] = [];
      for await (const chunk of part.body) chunks.push(chunk as Buffer);
      out.push({ contentType: part.contentType, headers: part.headers, body: Buffer.concat(chunks) });
    }
    return out;
  }

  async function stow(path: string, files: readonly StoredFile[]): Promise<void> {
    const { contentType, body } = await stowBody(files.map((f) => ({ body: f.bytes })));
    const response = await fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
  }

  async function waitIndexed(prefix: string, counts: Record<string, number>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const answer = await get(`${prefix}/studies?StudyInstanceUID=${Object.keys(counts).join(',')}`, {
        Accept: 'application/dicom+json',
      });
      const studies = JSON.parse(answer.body.toString()) as DicomJsonDataset[];
      const indexed = Object.entries(counts).every(([uid, count]) =>
        studies.some((s) => s['0020000D']?.Value?.[0] === uid && s['00201208']?.Value?.[0] === count),
      );
      if (indexed) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`studies ${Object.keys(counts).join(', ')} were not indexed within 20 s`);
  }

  function expectProblem(answer: Answer, status: number, detail: RegExp): void {
    expect({ status: answer.status, type: answer.headers.get('content-type')?.split(';')[0] }).toEqual({
      status,
      type: 'application/problem+json',
    });
    const problem = JSON.parse(answer.body.toString()) as { status: number; detail: string };
    expect(problem.status).toBe(status);
    expect(problem.detail).toMatch(detail);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-wado-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    await stow('/dicomweb/studies', [...ctA, ctImplicit, jpeg, rle, dose, growing[0]!]);
    await stow('/tenants/oncology/dicomweb/studies', [ctC]);
    await waitIndexed('/dicomweb', {
      [studyA]: 4,
      [jpeg.studyInstanceUid]: 2,
      [dose.studyInstanceUid]: 1,
      [studyE]: 1,
    });
    await waitIndexed('/tenants/oncology/dicomweb', { [ctC.studyInstanceUid]: 1 });
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  describe('Retrieve Study, Series, Instance (PS3.18 10.4.1.1.1-2)', () => {
    const asStored = { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };

    it('sends each stored copy byte for byte with transfer-syntax=*, at every level', async () => {
      const study = await get(`/dicomweb/studies/${studyA}`, asStored);
      expect(study.status).toBe(200);
      expect(study.headers.get('content-type')).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
      const parts = await partsOf(study);
      expect(parts).toHaveLength(4);
      // The index lists series by UID, then instances by number.
      for (const [index, file] of ctA.entries()) {
        expect(parts[index]!.body.equals(file.bytes)).toBe(true);
        expect(parts[index]!.contentType).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
        expect(parts[index]!.headers.get('content-location')).toBe(`${app.baseUrl}/dicomweb${instancePath(file)}`);
      }
      const series = await partsOf(await get(`/dicomweb/studies/${studyA}/series/${seriesA1}`, asStored));
      expect(series.map((p) => p.body)).toEqual(ctA.map((f) => f.bytes));
      const instance = await partsOf(await get(`/dicomweb${instancePath(ctA[1]!)}`, asStored));
      expect(instance.map((p) => p.body)).toEqual([ctA[1]!.bytes]);
      const compressed = await partsOf(await get(`/dicomweb/studies/${jpeg.studyInstanceUid}`, asStored));
      const bySop = new Map(compressed.map((p) => [identify(p.body).sopInstanceUid, p]));
      expect(bySop.get(jpeg.sopInstanceUid)!.body.equals(jpeg.bytes)).toBe(true);
      expect(bySop.get(jpeg.sopInstanceUid)!.contentType).toBe(`application/dicom; transfer-syntax=${JPEG_BASELINE}`);
      expect(bySop.get(rle.sopInstanceUid)!.body.equals(rle.bytes)).toBe(true);
      expect(bySop.get(rle.sopInstanceUid)!.contentType).toBe(`application/dicom; transfer-syntax=${RLE}`);
    });

    it('never sends Implicit VR Little Endian (PS3.18 8.7.3): such a copy comes transcoded, even for *', async () => {
      const [part] = await partsOf(await get(`/dicomweb/studies/${studyA}/series/${seriesA2}`, asStored));
      expect(part!.contentType).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
      const read = parsed(part!.body);
      expect(read.header.transferSyntax.uid).toBe(EXPLICIT);
      expect(read.dataset.string('SOPInstanceUID')).toBe(ctImplicit.sopInstanceUid);
      expect(read.dataset.bytesOf('PixelData')).toEqual(ctPixels(2000));
    });

    it('by default sends Explicit VR Little Endian, lossy copies as stored (PS3.18 8.7.3.4)', async () => {
      const answer = await get(`/dicomweb/studies/${jpeg.studyInstanceUid}`, {
        Accept: 'multipart/related; type="application/dicom"',
      });
      expect(answer.status).toBe(200);
      const bySop = new Map((await partsOf(answer)).map((p) => [identify(p.body).sopInstanceUid, p]));
      expect(bySop.get(jpeg.sopInstanceUid)!.body.equals(jpeg.bytes)).toBe(true);
      const transcoded = parsed(bySop.get(rle.sopInstanceUid)!.body);
      expect(bySop.get(rle.sopInstanceUid)!.contentType).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
      expect(transcoded.header.transferSyntax.uid).toBe(EXPLICIT);
      expect(transcoded.dataset.bytesOf('PixelData')!.subarray(0, 100 * 100 * 3)).toEqual(pydicomFrame(rlePath, 0));
    });

    it('transcodes every copy when Explicit VR Little Endian is named, and parses as such', async () => {
      const answer = await get(`/dicomweb/studies/${jpeg.studyInstanceUid}`, {
        Accept: `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT}`,
      });
      const parts = await partsOf(answer);
      expect(parts).toHaveLength(2);
      for (const part of parts) {
        expect(part.contentType).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
        const read = parsed(part.body);
        expect(read.header.transferSyntax.uid).toBe(EXPLICIT);
        expect(read.dataset.get('PixelData')!.fragments).toBeUndefined();
      }
    });

    it('answers a single application/dicom body for an instance when asked', async () => {
      const answer = await get(`/dicomweb${instancePath(ctA[0]!)}`, { Accept: 'application/dicom; transfer-syntax=*' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe(`application/dicom; transfer-syntax=${EXPLICIT}`);
      expect(answer.body.equals(ctA[0]!.bytes)).toBe(true);
    });

    it('answers 206 with a Warning when only some instances can be given in the syntax asked, 406 when none', async () => {
      const jpegOnly = { Accept: `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_BASELINE}` };
      const partial = await get(`/dicomweb/studies/${jpeg.studyInstanceUid}`, jpegOnly);
      expect(partial.status).toBe(206);
      expect(partial.headers.get('warning')).toMatch(new RegExp(`^299 pacs "1 of 2 instances .*${rle.sopInstanceUid}`));
      expect((await partsOf(partial)).map((p) => p.body)).toEqual([jpeg.bytes]);
      expectProblem(await get(`/dicomweb/studies/${studyA}`, jpegOnly), 406, /cannot be given in a transfer syntax/);
      expectProblem(
        await get(`/dicomweb/studies/${studyA}`, { Accept: 'application/dicom+json' }),
        406,
        /names no representation/,
      );
    });
  });

  describe('Retrieve Metadata (PS3.18 10.4.1.1.2, F.2)', () => {
    it('streams the DICOM JSON of each instance with absolute BulkDataURIs, at every level', async () => {
      const answer = await get(`/dicomweb/studies/${studyA}/metadata`, { Accept: 'application/dicom+json' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
      const datasets = JSON.parse(answer.body.toString()) as DicomJsonDataset[];
      expect(datasets.map((d) => d['00080018']!.Value![0])).toEqual([...ctA, ctImplicit].map((f) => f.sopInstanceUid));
      for (const [index, file] of [...ctA, ctImplicit].entries()) {
        expect(datasets[index]!['7FE00010']!.BulkDataURI).toBe(
          `${app.baseUrl}/dicomweb${instancePath(file)}/bulkdata/7FE00010`,
        );
      }
      const series = await get(`/dicomweb/studies/${studyA}/series/${seriesA1}/metadata`);
      expect((JSON.parse(series.body.toString()) as unknown[]).length).toBe(3);
      const instance = await get(`/dicomweb${instancePath(ctA[2]!)}/metadata`);
      const [only] = JSON.parse(instance.body.toString()) as DicomJsonDataset[];
      expect(only!['00200013']).toEqual({ vr: 'IS', Value: [3] });
      expectProblem(
        await get(`/dicomweb/studies/${studyA}/metadata`, { Accept: 'application/dicom+xml' }),
        406,
        /application\/dicom\+json/,
      );
    });

    it('has an ETag: If-None-Match answers 304 until an instance is added', async () => {
      const path = `/dicomweb/studies/${studyE}/metadata`;
      const first = await get(path);
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[^"]+"$/);
      const unchanged = await get(path, { 'If-None-Match': etag });
      expect({ status: unchanged.status, length: unchanged.body.length }).toEqual({ status: 304, length: 0 });
      expect((await get(path, { 'If-None-Match': `W/${etag}` })).status).toBe(304);
      expect((await get(path, { 'If-None-Match': '"other"' })).status).toBe(200);
      await stow('/dicomweb/studies', [growing[1]!]);
      await waitIndexed('/dicomweb', { [studyE]: 2 });
      const changed = await get(path, { 'If-None-Match': etag });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);
      expect((JSON.parse(changed.body.toString()) as unknown[]).length).toBe(2);
    });
  });

  describe('Retrieve Frames (PS3.18 10.4.1.1.3)', () => {
    const doseFrames = () => {
      const pixels = parsed(dose.bytes).dataset.bytesOf('PixelData')!;
      return (n: number) => pixels.subarray((n - 1) * 400, n * 400);
    };

    it('sends native frames as application/octet-stream, in the order asked', async () => {
      const frame = doseFrames();
      const answer = await get(`/dicomweb${instancePath(dose)}/frames/5,2`, {
        Accept: 'multipart/related; type="application/octet-stream"',
      });
      expect(answer.status).toBe(200);
      const parts = await partsOf(answer);
      expect(parts.map((p) => p.body)).toEqual([frame(5), frame(2)]);
      expect(parts[0]!.contentType).toBe(`application/octet-stream; transfer-syntax=${EXPLICIT}`);
      expect(parts[0]!.headers.get('content-location')).toBe(`${app.baseUrl}/dicomweb${instancePath(dose)}/frames/5`);
      const single = await get(`/dicomweb${instancePath(ctA[0]!)}/frames/1`, { Accept: 'application/octet-stream' });
      expect(single.headers.get('content-type')).toBe(`application/octet-stream; transfer-syntax=${EXPLICIT}`);
      expect(single.body).toEqual(ctPixels(500));
    });

    it('sends encapsulated frames as stored in their media type, or decoded for application/octet-stream', async () => {
      const fragments = fragmentsOf(rle.bytes);
      const stored = await partsOf(
        await get(`/dicomweb${instancePath(rle)}/frames/1,2`, { Accept: 'multipart/related; type="image/dicom-rle"' }),
      );
      expect(stored.map((p) => p.body)).toEqual(fragments);
      expect(stored[0]!.contentType).toBe(`image/dicom-rle; transfer-syntax=${RLE}`);
      const any = await partsOf(
        await get(`/dicomweb${instancePath(jpeg)}/frames/1`, {
          Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*',
        }),
      );
      expect(any[0]!.contentType).toBe(`image/jpeg; transfer-syntax=${JPEG_BASELINE}`);
      expect(any[0]!.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(fragmentsOf(jpeg.bytes)[0]!.subarray(0, any[0]!.body.length)).toEqual(any[0]!.body);
      const decoded = await partsOf(
        await get(`/dicomweb${instancePath(rle)}/frames/2`, {
          Accept: 'multipart/related; type="application/octet-stream"',
        }),
      );
      expect(decoded[0]!.contentType).toBe(`application/octet-stream; transfer-syntax=${EXPLICIT}`);
      expect(decoded[0]!.body).toEqual(pydicomFrame(rlePath, 1));
    });

    it('answers 404 for a frame beyond the last, 400 for a bad list, 406 for a media type it cannot make', async () => {
      expectProblem(await get(`/dicomweb${instancePath(dose)}/frames/16`), 404, /instance .*frame/i);
      expectProblem(await get(`/dicomweb${instancePath(dose)}/frames/0`), 400, /"0" is not a frame number/);
      expectProblem(await get(`/dicomweb${instancePath(dose)}/frames/1,x`), 400, /"x" is not a frame number/);
      expectProblem(
        await get(`/dicomweb${instancePath(ctA[0]!)}/frames/1`, { Accept: 'multipart/related; type="image/jpeg"' }),
        406,
        /no representation of the pixel data/,
      );
    });
  });

  describe('Retrieve Bulkdata (PS3.18 10.4.1.1.5)', () => {
    it('serves the BulkDataURIs of the metadata, little endian, multipart by default or single part', async () => {
      const [metadata] = JSON.parse((await get(`/dicomweb${instancePath(ctImplicit)}/metadata`)).body.toString()) as [
        DicomJsonDataset,
      ];
      const uri = metadata['7FE00010']!.BulkDataURI!;
      const multipart = await fetch(uri);
      const parts = await partsOf({
        status: multipart.status,
        headers: multipart.headers,
        body: Buffer.from(await multipart.arrayBuffer()),
      });
      expect(parts.map((p) => p.body)).toEqual([ctPixels(2000)]);
      expect(parts[0]!.headers.get('content-location')).toBe(uri);
      const single = await get(`/dicomweb${instancePath(ctA[0]!)}/bulkdata/7FE00010`, {
        Accept: 'application/octet-stream',
      });
      expect(single.status).toBe(200);
      expect(single.body).toEqual(ctPixels(500));
    });

    it('honours Range: 206 with Content-Range, in the part when multipart; 416 when unsatisfiable', async () => {
      const path = `/dicomweb${instancePath(ctA[0]!)}/bulkdata/7FE00010`;
      const single = await get(path, { Accept: 'application/octet-stream', Range: 'bytes=4-13' });
      expect(single.status).toBe(206);
      expect(single.headers.get('content-range')).toBe('bytes 4-13/512');
      expect(single.body).toEqual(ctPixels(500).subarray(4, 14));
      const multipart = await get(path, { Range: 'bytes=-6' });
      expect(multipart.status).toBe(206);
      const [part] = await partsOf(multipart);
      expect(part!.headers.get('content-range')).toBe('bytes 506-511/512');
      expect(part!.body).toEqual(ctPixels(500).subarray(506));
      const beyond = await get(path, { Accept: 'application/octet-stream', Range: 'bytes=512-' });
      expectProblem(beyond, 416, /bytes=512-/);
      expect(beyond.headers.get('content-range')).toBe('bytes */512');
      expectProblem(await get(path, { Range: 'bytes=9-3' }), 416, /ends before it starts/);
    });

    it('sends encapsulated pixel data frame by frame, and 400/404 for a bad or absent path', async () => {
      const parts = await partsOf(
        await get(`/dicomweb${instancePath(rle)}/bulkdata/7FE00010`, {
          Accept: 'multipart/related; type="image/dicom-rle"',
        }),
      );
      expect(parts.map((p) => p.body)).toEqual(fragmentsOf(rle.bytes));
      expectProblem(await get(`/dicomweb${instancePath(rle)}/bulkdata/7FE0001G`), 400, /not a tag/);
      expectProblem(await get(`/dicomweb${instancePath(rle)}/bulkdata/00091234`), 404, /no bulk data at 00091234/);
    });
  });

  describe('the OHIF viewer client (dicomweb-client)', () => {
    interface Client {
      retrieveStudy(options: { studyInstanceUID: string }): Promise<ArrayBuffer[]>;
      retrieveStudyMetadata(options: { studyInstanceUID: string }): Promise<DicomJsonDataset[]>;
      retrieveInstanceFrames(options: {
        studyInstanceUID: string;
        seriesInstanceUID: string;
        sopInstanceUID: string;
        frameNumbers: number[];
      }): Promise<ArrayBuffer[]>;
    }
    const client = () =>
      new api.DICOMwebClient({ url: `${app.baseUrl}/dicomweb`, singlepart: false }) as unknown as Client;

    it('retrieves a study, its metadata and frames', async () => {
      const instances = await client().retrieveStudy({ studyInstanceUID: studyA });
      const read = instances.map((i) => parsed(Buffer.from(i)));
      expect(read.map((r) => r.dataset.string('SOPInstanceUID'))).toEqual(
        [...ctA, ctImplicit].map((f) => f.sopInstanceUid),
      );
      expect(read.every((r) => r.header.transferSyntax.uid === EXPLICIT)).toBe(true);
      const metadata = await client().retrieveStudyMetadata({ studyInstanceUID: studyA });
      expect(metadata).toHaveLength(4);
      const frames = await client().retrieveInstanceFrames({
        studyInstanceUID: dose.studyInstanceUid,
        seriesInstanceUID: dose.seriesInstanceUid,
        sopInstanceUID: dose.sopInstanceUid,
        frameNumbers: [3, 4],
      });
      const pixels = parsed(dose.bytes).dataset.bytesOf('PixelData')!;
      expect(frames.map((f) => Buffer.from(f))).toEqual([pixels.subarray(800, 1200), pixels.subarray(1200, 1600)]);
    });
  });

  describe('Rendered and Thumbnail (PS3.18 10.4.1.1.4, 8.3.5)', () => {
    it('renders an instance to JPEG or PNG, in its size or the viewport asked', async () => {
      const jpegAnswer = await get(`/dicomweb${instancePath(ctA[0]!)}/rendered`, { Accept: 'image/jpeg' });
      expect(jpegAnswer.headers.get('content-type')).toBe('image/jpeg');
      expect(decodeJpeg(jpegAnswer.body, { useTArray: true })).toMatchObject({ width: 16, height: 16 });
      const scaled = await get(`/dicomweb${instancePath(ctA[0]!)}/rendered?viewport=48,48&quality=50`);
      expect(decodeJpeg(scaled.body, { useTArray: true })).toMatchObject({ width: 48, height: 48 });
      const png = await get(`/dicomweb${instancePath(jpeg)}/rendered`, { Accept: 'image/png' });
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(decodePng(png.body)).toEqual({ width: 100, height: 100 });
      const byParameter = await get(`/dicomweb${instancePath(rle)}/rendered?accept=image/png`);
      expect(decodePng(byParameter.body)).toEqual({ width: 100, height: 100 });
    });

    it('renders frames, and every instance of a study in multipart/related', async () => {
      const frame = await get(`/dicomweb${instancePath(dose)}/frames/3/rendered`, { Accept: 'image/jpeg' });
      expect(decodeJpeg(frame.body, { useTArray: true })).toMatchObject({ width: 10, height: 10 });
      const frames = await partsOf(await get(`/dicomweb${instancePath(dose)}/frames/1,15/rendered`));
      expect(frames).toHaveLength(2);
      const study = await get(`/dicomweb/studies/${studyA}/rendered`, {
        Accept: 'multipart/related; type="image/jpeg"',
      });
      const parts = await partsOf(study);
      expect(parts.map((p) => p.contentType)).toEqual(['image/jpeg', 'image/jpeg', 'image/jpeg', 'image/jpeg']);
      for (const part of parts)
        expect(decodeJpeg(part.body, { useTArray: true })).toMatchObject({ width: 16, height: 16 });
      expect(parts[3]!.headers.get('content-location')).toBe(
        `${app.baseUrl}/dicomweb${instancePath(ctImplicit)}/rendered`,
      );
    });

    it('makes a 128x128 thumbnail of the middle instance of the first series', async () => {
      const thumbnail = await get(`/dicomweb/studies/${studyA}/thumbnail`);
      expect(thumbnail.status).toBe(200);
      expect(decodeJpeg(thumbnail.body, { useTArray: true })).toMatchObject({ width: 128, height: 128 });
      const middle = await get(`/dicomweb${instancePath(ctA[1]!)}/rendered?viewport=128,128`);
      expect(thumbnail.body.equals(middle.body)).toBe(true);
      const series = await get(`/dicomweb/studies/${studyA}/series/${seriesA2}/thumbnail?viewport=64,64`, {
        Accept: 'image/png',
      });
      expect(decodePng(series.body)).toEqual({ width: 64, height: 64 });
      const frameThumbnail = await get(`/dicomweb${instancePath(dose)}/frames/7/thumbnail`);
      const frameRendered = await get(`/dicomweb${instancePath(dose)}/frames/7/rendered?viewport=128,128`);
      expect(frameThumbnail.body.equals(frameRendered.body)).toBe(true);
      expect((await get(`/dicomweb${instancePath(jpeg)}/thumbnail`)).status).toBe(200);
    });

    it('answers 400 for a bad rendering parameter, 406 for a media type it does not render, 404 beyond the frames', async () => {
      const rendered = `/dicomweb${instancePath(ctA[0]!)}/rendered`;
      expectProblem(await get(`${rendered}?window=abc`), 400, /window/);
      expectProblem(await get(`${rendered}?viewport=0,10`), 400, /viewport/);
      expectProblem(await get(`${rendered}?quality=0`), 400, /quality/);
      expectProblem(await get(rendered, { Accept: 'image/gif' }), 406, /image\/jpeg or image\/png/);
      expectProblem(await get(`/dicomweb${instancePath(dose)}/frames/16/rendered`), 404, /frame/i);
      expectProblem(await get(`/dicomweb/studies/${studyA}/thumbnail?viewport=1`), 400, /viewport/);
    });
  });

  describe('WADO-URI (PS3.18 9) at /wado', () => {
    const query = (f: StoredFile, extra = '') =>
      `/wado?requestType=WADO&studyUID=${f.studyInstanceUid}&seriesUID=${f.seriesInstanceUid}&objectUID=${f.sopInstanceUid}${extra}`;

    it('returns the instance for application/dicom, without a transfer-syntax parameter', async () => {
      const answer = await get(query(ctA[2]!, '&contentType=application/dicom'));
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/dicom');
      expect(answer.body.equals(ctA[2]!.bytes)).toBe(true);
      const transcoded = parsed((await get(query(ctImplicit, '&contentType=application/dicom'))).body);
      expect(transcoded.header.transferSyntax.uid).toBe(EXPLICIT);
      const lossy = await get(query(jpeg, '&contentType=application/dicom'));
      expect(lossy.body.equals(jpeg.bytes)).toBe(true);
      const asked = await get(query(jpeg, `&contentType=application/dicom&transferSyntax=${EXPLICIT}`));
      expect(parsed(asked.body).header.transferSyntax.uid).toBe(EXPLICIT);
      expectProblem(
        await get(query(ctA[2]!, `&contentType=application/dicom&transferSyntax=${JPEG_BASELINE}`)),
        406,
        /cannot be given in transfer syntax 1.2.840.10008.1.2.4.50/,
      );
    });

    it('renders JPEG by default and PNG on request, with rows, columns, window and frameNumber', async () => {
      const plain = await get(query(ctA[0]!));
      expect(plain.headers.get('content-type')).toBe('image/jpeg');
      expect(decodeJpeg(plain.body, { useTArray: true })).toMatchObject({ width: 16, height: 16 });
      const sized = await get(query(ctA[0]!, '&rows=40&columns=40&windowCenter=530&windowWidth=100&imageQuality=80'));
      expect(decodeJpeg(sized.body, { useTArray: true })).toMatchObject({ width: 40, height: 40 });
      const png = await get(query(dose, '&contentType=image/png&frameNumber=15'));
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(decodePng(png.body)).toEqual({ width: 10, height: 10 });
      expectProblem(await get(query(dose, '&frameNumber=16')), 404, /frame/i);
    });

    it('answers 400 naming a missing or invalid parameter, 406 for a content type it cannot return', async () => {
      expectProblem(
        await get(`/wado?requestType=WADO&studyUID=${studyA}&seriesUID=${seriesA1}`),
        400,
        /^objectUID is missing/,
      );
      expectProblem(await get(query(ctA[0]!).replace('requestType=WADO', 'requestType=X')), 400, /^requestType/);
      expectProblem(await get(query(ctA[0]!, '&rows=20')), 400, /^columns is missing/);
      expectProblem(await get(query(ctA[0]!, '&contentType=text/html')), 406, /contentType "text\/html"/);
    });
  });

  describe('tenant isolation', () => {
    it('answers 404 under another tenant for every resource of a study, and serves the tenant its own', async () => {
      const onco = '/tenants/oncology/dicomweb';
      const instance = instancePath(ctA[0]!);
      const paths = [
        `${onco}/studies/${studyA}`,
        `${onco}/studies/${studyA}/series/${seriesA1}`,
        `${onco}${instance}`,
        `${onco}/studies/${studyA}/metadata`,
        `${onco}/studies/${studyA}/series/${seriesA1}/metadata`,
        `${onco}${instance}/metadata`,
        `${onco}${instance}/frames/1`,
        `${onco}${instance}/bulkdata/7FE00010`,
        `${onco}/studies/${studyA}/rendered`,
        `${onco}/studies/${studyA}/series/${seriesA1}/rendered`,
        `${onco}${instance}/rendered`,
        `${onco}${instance}/frames/1/rendered`,
        `${onco}/studies/${studyA}/thumbnail`,
        `${onco}/studies/${studyA}/series/${seriesA1}/thumbnail`,
        `${onco}${instance}/thumbnail`,
        `${onco}${instance}/frames/1/thumbnail`,
        `/tenants/oncology/wado?requestType=WADO&studyUID=${studyA}&seriesUID=${seriesA1}&objectUID=${ctA[0]!.sopInstanceUid}`,
        `/dicomweb/studies/${ctC.studyInstanceUid}`,
        `/dicomweb${instancePath(ctC)}/metadata`,
      ];
      for (const path of paths) {
        const answer = await get(path);
        expect({ path, status: answer.status }).toEqual({ path, status: 404 });
        expectProblem(answer, 404, /^no (study|series|instance)/);
      }
      expectProblem(await get(`/tenants/cardiology/dicomweb/studies/${studyA}`), 404, /^no tenant "cardiology"/);
      expectProblem(await get(`/tenants/cardiology/wado?requestType=WADO`), 404, /^no tenant "cardiology"/);
      const own = await partsOf(
        await get(`${onco}/studies/${ctC.studyInstanceUid}`, {
          Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
        }),
      );
      expect(own.map((p) => p.body)).toEqual([ctC.bytes]);
      const [metadata] = JSON.parse((await get(`${onco}${instancePath(ctC)}/metadata`)).body.toString()) as [
        DicomJsonDataset,
      ];
      expect(metadata['7FE00010']!.BulkDataURI).toBe(`${app.baseUrl}${onco}${instancePath(ctC)}/bulkdata/7FE00010`);
    });
  });

  describe('bad requests', () => {
    it('answers problem+json naming the fault', async () => {
      expectProblem(await get('/dicomweb/studies/1.02.3'), 400, /"1.02.3" in the URL is not a valid StudyInstanceUID/);
      expectProblem(
        await get(`/dicomweb/studies/${studyA}/series/x/metadata`),
        400,
        /"x" in the URL is not a valid SeriesInstanceUID/,
      );
      expectProblem(await get(`/dicomweb/studies/${generateUid()}`), 404, /^no study /);
      expectProblem(
        await get(`/dicomweb/studies/${studyA}/series/${generateUid()}/metadata`),
        404,
        /^no series .* of study/,
      );
      expectProblem(
        await get(`/dicomweb/studies/${studyA}`, {
          Accept: 'multipart/related; type="application/dicom"; transfer-syntax=x',
        }),
        400,
        /transfer-syntax="x"/,
      );
      expectProblem(await get(`/dicomweb/studies/${studyA}`, { Accept: 'image/jpeg;q=7' }), 400, /q=7/);
    });
  });
});
