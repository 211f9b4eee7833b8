import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';
import { api } from 'dicomweb-client';

// dicomweb-client is the browser client of the OHIF viewer (XMLHttpRequest from xhr2 in Node).
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2');

type Study = Record<string, { vr: string; Value?: unknown[] }>;
const value = (study: Study, tag: string) => study[tag]?.Value?.[0];

// STOW-RS into the all-in-one process, indexed from instance.stored, found by QIDO-RS.
describe('pacs process: QIDO-RS Search for Studies', () => {
  let work: string;
  let app: AppProcess;
  const pixels = Buffer.alloc(16 * 16 * 2, 3);
  const studyA = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
  const studyB = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
  const studyC = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };

  async function stow(path: string, files: Buffer[]): Promise<number> {
    const { contentType, body } = await stowBody(files.map((file) => ({ body: file })));
    const response = await fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function qido(path: string) {
    const response = await fetch(`${app.baseUrl}${path}`, { headers: { Accept: 'application/dicom+json' } });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      warning: response.headers.get('warning'),
      body: (await response.json()) as Study[] & { detail?: string },
    };
  }

  const uids = (studies: Study[]) => studies.map((s) => value(s, '0020000D')).sort();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-qido-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    const instance = (study: typeof studyA, patientId: string, patientName: string) =>
      ctInstanceFile({
        ...study,
        sopInstanceUid: generateUid(),
        rows: 16,
        columns: 16,
        pixelData: pixels,
        patientId,
        patientName,
        accessionNumber: 'ACC1',
      });
    expect(
      await stow('/dicomweb/studies', [
        instance(studyA, 'P1', 'Müller^Jürgen'),
        instance(studyA, 'P1', 'Müller^Jürgen'),
        instance(studyA, 'P1', 'Müller^Jürgen'),
        instance(studyB, 'P2', 'Doe^Jane'),
      ]),
    ).toBe(200);
    expect(await stow('/tenants/oncology/dicomweb/studies', [instance(studyC, 'P1', 'Müller^Jürgen')])).toBe(200);
    // Indexing follows the store (instance.stored, consumed by the indexer): wait for it.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const all = await qido('/dicomweb/studies');
      const oncology = await qido('/tenants/oncology/dicomweb/studies');
      const a = all.body.find((s) => value(s, '0020000D') === studyA.studyInstanceUid);
      if (all.body.length === 2 && oncology.body.length === 1 && value(a!, '00201208') === 3) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the stored studies were not indexed within 15 s');
  }, 40_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('answers application/dicom+json with each study, its computed attributes and its Retrieve URL', async () => {
    const result = await qido(`/dicomweb/studies?StudyInstanceUID=${studyA.studyInstanceUid}`);
    expect(result.status).toBe(200);
    expect(result.type).toMatch(/^application\/dicom\+json/);
    expect(result.body).toHaveLength(1);
    const study = result.body[0]!;
    expect(value(study, '00100020')).toBe('P1');
    expect(value(study, '00080050')).toBe('ACC1');
    expect(study['00201206']).toEqual({ vr: 'IS', Value: [1] });
    expect(study['00201208']).toEqual({ vr: 'IS', Value: [3] });
    expect(study['00080061']).toEqual({ vr: 'CS', Value: ['CT'] });
    expect(String(value(study, '00081190'))).toMatch(new RegExp(`/dicomweb/studies/${studyA.studyInstanceUid}$`));
    // The defaults of PS3.18 Table 10.6.3-3 only: Study Description (0008,1030) on request.
    expect(study['00081030']).toBeUndefined();
    const [described] = (
      await qido(`/dicomweb/studies?StudyInstanceUID=${studyA.studyInstanceUid}&includefield=StudyDescription`)
    ).body;
    expect(value(described!, '00081030')).toBe('CT THORAX ABDOMEN WITH CONTRAST');
  });

  it('matches by PatientID, by name with wildcards or fuzzily, and by list of UIDs', async () => {
    expect(uids((await qido('/dicomweb/studies?PatientID=P1')).body)).toEqual([studyA.studyInstanceUid]);
    expect(uids((await qido('/dicomweb/studies?PatientName=DOE*')).body)).toEqual([studyB.studyInstanceUid]);
    expect(uids((await qido('/dicomweb/studies?PatientName=muller&fuzzymatching=true')).body)).toEqual([
      studyA.studyInstanceUid,
    ]);
    expect(
      uids(
        (await qido(`/dicomweb/studies?StudyInstanceUID=${studyA.studyInstanceUid},${studyB.studyInstanceUid}`)).body,
      ),
    ).toEqual([studyA.studyInstanceUid, studyB.studyInstanceUid].sort());
    expect((await qido('/dicomweb/studies?PatientID=nobody')).body).toEqual([]);
  });

  it('keeps each tenant to its own studies', async () => {
    expect(uids((await qido('/tenants/oncology/dicomweb/studies?PatientID=P1')).body)).toEqual([
      studyC.studyInstanceUid,
    ]);
    expect((await qido(`/dicomweb/studies?StudyInstanceUID=${studyC.studyInstanceUid}`)).body).toEqual([]);
    expect((await qido(`/tenants/oncology/dicomweb/studies?StudyInstanceUID=${studyA.studyInstanceUid}`)).body).toEqual(
      [],
    );
    expect((await qido('/tenants/cardiology/dicomweb/studies')).status).toBe(404);
  });

  it('pages with limit and offset, and says when more results are there', async () => {
    const first = await qido('/dicomweb/studies?limit=1');
    expect(first.body).toHaveLength(1);
    expect(first.warning).toMatch(/^299 pacs "There are additional results/);
    const second = await qido('/dicomweb/studies?limit=1&offset=1');
    expect(second.body).toHaveLength(1);
    expect(second.warning).toBeNull();
    expect(uids([...first.body, ...second.body])).toEqual([studyA.studyInstanceUid, studyB.studyInstanceUid].sort());
  });

  it('answers 400 problem+json naming a bad parameter', async () => {
    const result = await qido('/dicomweb/studies?StudyDate=2020-01-01');
    expect(result.status).toBe(400);
    expect(result.type).toMatch(/^application\/problem\+json/);
    expect(result.body.detail).toMatch(/^StudyDate: "2020-01-01" is neither a date/);
    expect((await qido('/dicomweb/studies?PatientNam=x')).body.detail).toMatch(/^PatientNam: /);
    // Modality is a series attribute: studies are matched on ModalitiesInStudy (PS3.18 10.6.1.2).
    expect((await qido('/dicomweb/studies?Modality=CT')).body.detail).toMatch(
      /^Modality: Modality is a series attribute/,
    );
    expect(uids((await qido('/dicomweb/studies?ModalitiesInStudy=CT')).body)).toEqual(
      [studyA.studyInstanceUid, studyB.studyInstanceUid].sort(),
    );
  });

  it('serves the OHIF viewer client (dicomweb-client searchForStudies)', async () => {
    const client = new api.DICOMwebClient({ url: `${app.baseUrl}/dicomweb`, singlepart: false });
    const found = (await client.searchForStudies({ queryParams: { PatientID: 'P1' } })) as Study[];
    expect(uids(found)).toEqual([studyA.studyInstanceUid]);
  });
});
