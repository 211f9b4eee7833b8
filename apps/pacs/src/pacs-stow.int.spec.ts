import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess, filesUnder } from '@pacs/testing';
import { api } from 'dicomweb-client';

// dicomweb-client is the browser client of the OHIF viewer: it speaks XMLHttpRequest, which
// xhr2 provides in Node (it ships no type declarations, hence require).
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2');

type DicomJson = Record<string, { vr: string; Value?: Record<string, { Value?: unknown[] }>[] | unknown[] }>;
const items = (body: DicomJson, tag: string) => (body[tag]?.Value ?? []) as Record<string, { Value?: unknown[] }>[];

// STOW-RS into the all-in-one process, from the OHIF viewer's client and from raw requests.
describe('pacs process: STOW-RS', () => {
  let work: string;
  let app: AppProcess;
  const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
  const pixels = Buffer.alloc(128 * 128 * 2, 9);
  const instance = (extra: { sopInstanceUid?: string; studyInstanceUid?: string } = {}) =>
    ctInstanceFile({ ...study, rows: 128, columns: 128, pixelData: pixels, sopInstanceUid: generateUid(), ...extra });
  const stored = (tenant: string) => filesUnder(join(work, 'data', 'blobs', 'hot', tenant));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-stow-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
      PACS_STOW_MAX_BYTES: String(4 * 1024 * 1024),
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  async function post(
    path: string,
    parts: { type?: string; body: Buffer }[],
    options: { truncateBy?: number; contentType?: string } = {},
  ) {
    const { contentType, body } = await stowBody(parts);
    const response = await fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': options.contentType ?? contentType, Accept: 'application/dicom+json' },
      body: options.truncateBy ? body.subarray(0, body.length - options.truncateBy) : body,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      warning: response.headers.get('warning'),
      body: (await response.json()) as DicomJson & { detail?: string },
    };
  }

  it('stores what the OHIF viewer client (dicomweb-client) sends, byte for byte', async () => {
    const files = [instance(), instance(), instance()];
    const client = new api.DICOMwebClient({ url: `${app.baseUrl}/dicomweb`, singlepart: false });
    await client.storeInstances({ datasets: files.map((f) => new Uint8Array(f).buffer) });
    const onDisk = stored('default').map((path) => readFileSync(path));
    for (const file of files) expect(onDisk.some((bytes) => bytes.equals(file))).toBe(true);
  });

  it('answers 200 with the Referenced SOP Sequence and RetrieveURLs', async () => {
    const file = instance();
    const result = await post('/dicomweb/studies', [{ body: file }]);
    expect(result.status).toBe(200);
    expect(result.type).toMatch(/^application\/dicom\+json/);
    const [ref] = items(result.body, '00081199');
    expect(ref!['00081150']!.Value).toEqual(['1.2.840.10008.5.1.4.1.1.2']);
    expect(String(ref!['00081190']!.Value![0])).toMatch(
      new RegExp(`/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/`),
    );
  });

  it('answers for 30 parts in their order while it stores several at once, a duplicate and a broken part among them', async () => {
    const uids = Array.from({ length: 28 }, () => generateUid());
    const files = uids.map((sopInstanceUid) => instance({ sopInstanceUid }));
    const parts = [...files.slice(0, 10), Buffer.from('broken part'), ...files.slice(10), files[3]!].map((body) => ({
      body,
    }));
    const before = stored('default').length;
    const result = await post('/dicomweb/studies', parts);
    expect(result.status).toBe(202);
    const referenced = items(result.body, '00081199').map((i) => i['00081155']!.Value![0]);
    const uidOf = (file: Buffer) => {
      const at = file.indexOf('1.2.840.10008.5.1.4.1.1.2\0');
      return at;
    };
    expect(uidOf(files[0]!)).toBeGreaterThan(0);
    // Every well-formed part, in the order sent (the duplicate of part 3 last), and the broken one failed.
    expect(referenced).toHaveLength(29);
    expect(items(result.body, '00081198').map((i) => i['00081197']!.Value![0])).toEqual([0xc000]);
    expect(result.warning).toMatch(/part 10: the data set cannot be parsed/);
    expect(referenced[28]).toBe(referenced[3]);
    expect(new Set(referenced).size).toBe(28);
    // The duplicate is the same bytes: stored once.
    expect(stored('default')).toHaveLength(before + 28);
  });

  it('stores into the tenant of the URL', async () => {
    const before = stored('oncology').length;
    const result = await post('/tenants/oncology/dicomweb/studies', [{ body: instance() }]);
    expect(result.status).toBe(200);
    expect(stored('oncology')).toHaveLength(before + 1);
    expect(String(items(result.body, '00081199')[0]!['00081190']!.Value![0])).toContain(
      '/tenants/oncology/dicomweb/studies/',
    );
  });

  it('answers 202 with the failed part in the Failed SOP Sequence (C000) and a Warning', async () => {
    const result = await post('/dicomweb/studies', [{ body: instance() }, { body: Buffer.from('not a DICOM file') }]);
    expect(result.status).toBe(202);
    expect(items(result.body, '00081199')).toHaveLength(1);
    expect(items(result.body, '00081198').map((i) => i['00081197']!.Value![0])).toEqual([0xc000]);
    expect(result.warning).toMatch(/^299 pacs "part 1: the data set cannot be parsed/);
  });

  it('answers 409 when nothing is stored: an instance of another study than the URL names (A900)', async () => {
    const result = await post(`/dicomweb/studies/${generateUid()}`, [{ body: instance() }]);
    expect(result.status).toBe(409);
    expect(items(result.body, '00081198').map((i) => i['00081197']!.Value![0])).toEqual([0xa900]);
  });

  describe('broken requests get problem+json and store nothing partial', () => {
    it('415 for a body that is not multipart/related; type=application/dicom', async () => {
      const result = await post('/dicomweb/studies', [{ body: instance() }], { contentType: 'application/dicom' });
      expect(result.status).toBe(415);
      expect(result.type).toMatch(/^application\/problem\+json/);
      expect(result.body.detail).toMatch(/application\/dicom is not supported; expected multipart\/related/);
    });

    it('400 for a body cut in the middle of a part, which is not stored', async () => {
      const before = stored('default').length;
      const file = instance();
      const result = await post('/dicomweb/studies', [{ body: file }], { truncateBy: 1000 });
      expect(result.status).toBe(400);
      expect(result.body.detail).toMatch(/nothing was stored/);
      expect(stored('default')).toHaveLength(before);
    });

    it('413 for a body over PACS_STOW_MAX_BYTES', async () => {
      const large = Buffer.alloc(512 * 512 * 2, 1);
      const big = Array.from({ length: 10 }, () => ({
        body: ctInstanceFile({ ...study, sopInstanceUid: generateUid(), pixelData: large }),
      }));
      const result = await post('/dicomweb/studies', big);
      expect(result.status).toBe(413);
    });

    it('404 for an unknown tenant, and 400 for a malformed study UID in the URL', async () => {
      expect((await post('/tenants/nobody/dicomweb/studies', [{ body: instance() }])).status).toBe(404);
      const bad = await post('/dicomweb/studies/not-a-uid', [{ body: instance() }]);
      expect(bad.status).toBe(400);
      expect(bad.body.detail).toMatch(/not a valid StudyInstanceUID/);
    });
  });
});
