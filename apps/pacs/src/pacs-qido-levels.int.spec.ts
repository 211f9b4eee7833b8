import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTag, generateUid, tagOf } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';
import { api } from 'dicomweb-client';

// dicomweb-client is the browser client of the OHIF viewer (XMLHttpRequest from xhr2 in Node).
// eslint-disable-next-line @typescript-eslint/no-require-imports
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2');

type Result = Record<string, { vr: string; Value?: unknown[] }>;
const key = (keyword: string) => formatTag(tagOf(keyword));
const value = (result: Result, keyword: string) => result[key(keyword)]?.Value?.[0];
const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';

interface InstanceSpec {
  readonly study: string;
  readonly series: string;
  readonly sop: string;
  readonly number: number;
  readonly modality: 'CT' | 'MR';
  readonly seriesNumber: number;
  readonly patientId: string;
}

/** A small CT (or MR) image: the realistic CT header of @pacs/dicom/testing with the spec's values. */
function instanceFile(spec: InstanceSpec): Buffer {
  const overrides: Record<string, string | number> = {
    Modality: spec.modality,
    SeriesNumber: String(spec.seriesNumber),
    ...(spec.modality === 'MR' ? { SOPClassUID: MR_IMAGE_STORAGE } : {}),
  };
  const elements = ctInstanceElements({
    studyInstanceUid: spec.study,
    seriesInstanceUid: spec.series,
    sopInstanceUid: spec.sop,
    instanceNumber: spec.number,
    patientId: spec.patientId,
    rows: 16,
    columns: 16,
  }).map((element) =>
    typeof element.tag === 'string' && element.tag in overrides
      ? { ...element, value: overrides[element.tag] }
      : element,
  );
  return encodePart10File({ elements, transferSyntaxUid: '1.2.840.10008.1.2.1' });
}

const sorted = (uids: string[]) => [...uids].sort();

// STOW-RS into the all-in-one process, then QIDO-RS at every level and scope (PS3.18 10.6), in two
// tenants: the default one (/dicomweb) holds study A (two series) and study B; oncology holds C.
describe('pacs process: QIDO-RS at every level', () => {
  let work: string;
  let app: AppProcess;
  const a = {
    study: generateUid(),
    ct: generateUid(),
    mr: generateUid(),
    sops: [generateUid(), generateUid(), generateUid()],
  };
  const b = { study: generateUid(), series: generateUid(), sop: generateUid() };
  const c = { study: generateUid(), series: generateUid(), sop: generateUid() };

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
      body: (await response.json()) as Result[] & { detail?: string },
    };
  }

  /** The results of a search that must succeed. */
  async function found(path: string): Promise<Result[]> {
    const result = await qido(path);
    expect({ path, status: result.status, type: result.type }).toEqual({
      path,
      status: 200,
      type: expect.stringMatching(/^application\/dicom\+json/),
    });
    return result.body;
  }

  const uidsOf = (results: Result[], keyword: string) => results.map((r) => String(value(r, keyword)));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-qido-levels-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    const files = [
      instanceFile({
        study: a.study,
        series: a.ct,
        sop: a.sops[0]!,
        number: 1,
        modality: 'CT',
        seriesNumber: 1,
        patientId: 'P1',
      }),
      instanceFile({
        study: a.study,
        series: a.ct,
        sop: a.sops[1]!,
        number: 2,
        modality: 'CT',
        seriesNumber: 1,
        patientId: 'P1',
      }),
      instanceFile({
        study: a.study,
        series: a.mr,
        sop: a.sops[2]!,
        number: 1,
        modality: 'MR',
        seriesNumber: 2,
        patientId: 'P1',
      }),
      instanceFile({
        study: b.study,
        series: b.series,
        sop: b.sop,
        number: 1,
        modality: 'CT',
        seriesNumber: 1,
        patientId: 'P2',
      }),
    ];
    expect(await stow('/dicomweb/studies', files)).toBe(200);
    const oncology = instanceFile({
      study: c.study,
      series: c.series,
      sop: c.sop,
      number: 1,
      modality: 'CT',
      seriesNumber: 1,
      patientId: 'P1',
    });
    expect(await stow('/tenants/oncology/dicomweb/studies', [oncology])).toBe(200);
    // Indexing follows the store (instance.stored, consumed by the indexer): wait for it.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const all = await qido('/dicomweb/instances');
      const other = await qido('/tenants/oncology/dicomweb/instances');
      if (all.status === 200 && all.body.length === 4 && other.status === 200 && other.body.length === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the stored instances were not indexed within 15 s\n${app.stdout()}\n${app.stderr()}`);
  }, 40_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it("searches a study's series: the series defaults, the study UID and each series' Retrieve URL", async () => {
    const series = await found(`/dicomweb/studies/${a.study}/series`);
    expect(uidsOf(series, 'SeriesInstanceUID')).toEqual(sorted([a.ct, a.mr]));
    const ct = series.find((s) => value(s, 'SeriesInstanceUID') === a.ct)!;
    expect(ct[key('Modality')]).toEqual({ vr: 'CS', Value: ['CT'] });
    expect(ct[key('SeriesNumber')]).toEqual({ vr: 'IS', Value: [1] });
    expect(ct[key('SeriesDescription')]).toEqual({ vr: 'LO', Value: ['Abdomen 1.25mm'] });
    expect(ct[key('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
    expect(value(ct, 'StudyInstanceUID')).toBe(a.study);
    expect(String(value(ct, 'RetrieveURL'))).toBe(`${app.baseUrl}/dicomweb/studies/${a.study}/series/${a.ct}`);
    // The study is the path's: its own attributes are not repeated.
    expect(ct[key('PatientID')]).toBeUndefined();
    expect(ct[key('SOPInstanceUID')]).toBeUndefined();
    expect(uidsOf(await found(`/dicomweb/studies/${a.study}/series?Modality=MR`), 'SeriesInstanceUID')).toEqual([a.mr]);
    expect(await found(`/dicomweb/studies/${a.study}/series?SeriesNumber=7`)).toEqual([]);
  });

  it('searches all series with their study attributes, matching on study keys too (relational)', async () => {
    const series = await found('/dicomweb/series');
    expect(uidsOf(series, 'SeriesInstanceUID').sort()).toEqual(sorted([a.ct, a.mr, b.series]));
    const mr = series.find((s) => value(s, 'SeriesInstanceUID') === a.mr)!;
    expect(value(mr, 'PatientID')).toBe('P1');
    expect(mr[key('NumberOfStudyRelatedSeries')]).toEqual({ vr: 'IS', Value: [2] });
    expect(mr[key('NumberOfStudyRelatedInstances')]).toEqual({ vr: 'IS', Value: [3] });
    expect(mr[key('ModalitiesInStudy')]).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
    expect(mr[key('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [1] });
    expect(String(value(mr, 'RetrieveURL'))).toBe(`${app.baseUrl}/dicomweb/studies/${a.study}/series/${a.mr}`);
    expect(uidsOf(await found('/dicomweb/series?PatientID=P2'), 'SeriesInstanceUID')).toEqual([b.series]);
    expect(uidsOf(await found('/dicomweb/series?Modality=MR&PatientID=P1'), 'SeriesInstanceUID')).toEqual([a.mr]);
  });

  it("searches a series' instances: the instance defaults and each instance's Retrieve URL", async () => {
    const instances = await found(`/dicomweb/studies/${a.study}/series/${a.ct}/instances`);
    expect(uidsOf(instances, 'SOPInstanceUID')).toEqual(sorted([a.sops[0]!, a.sops[1]!]));
    const first = instances.find((i) => value(i, 'SOPInstanceUID') === a.sops[0])!;
    expect(first).toMatchObject({
      [key('SOPClassUID')]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
      [key('InstanceNumber')]: { vr: 'IS', Value: [1] },
      [key('Rows')]: { vr: 'US', Value: [16] },
      [key('Columns')]: { vr: 'US', Value: [16] },
      [key('BitsAllocated')]: { vr: 'US', Value: [16] },
      [key('StudyInstanceUID')]: { vr: 'UI', Value: [a.study] },
      [key('SeriesInstanceUID')]: { vr: 'UI', Value: [a.ct] },
    });
    expect(String(value(first, 'RetrieveURL'))).toBe(
      `${app.baseUrl}/dicomweb/studies/${a.study}/series/${a.ct}/instances/${a.sops[0]}`,
    );
    expect(first[key('Modality')]).toBeUndefined();
    expect(first[key('PatientID')]).toBeUndefined();
    expect(
      uidsOf(await found(`/dicomweb/studies/${a.study}/series/${a.ct}/instances?InstanceNumber=2`), 'SOPInstanceUID'),
    ).toEqual([a.sops[1]!]);
    // A series of another study is not in this study's scope.
    expect(await found(`/dicomweb/studies/${b.study}/series/${a.ct}/instances`)).toEqual([]);
  });

  it("searches a study's instances with their series attributes, and all instances with the study's too", async () => {
    const ofStudy = await found(`/dicomweb/studies/${a.study}/instances`);
    expect(uidsOf(ofStudy, 'SOPInstanceUID').sort()).toEqual(sorted(a.sops));
    const mr = ofStudy.find((i) => value(i, 'SOPInstanceUID') === a.sops[2])!;
    expect(value(mr, 'Modality')).toBe('MR');
    expect(value(mr, 'SOPClassUID')).toBe(MR_IMAGE_STORAGE);
    expect(mr[key('PatientID')]).toBeUndefined();
    expect(uidsOf(await found(`/dicomweb/studies/${a.study}/instances?Modality=MR`), 'SOPInstanceUID')).toEqual([
      a.sops[2]!,
    ]);

    const all = await found('/dicomweb/instances');
    expect(uidsOf(all, 'SOPInstanceUID').sort()).toEqual(sorted([...a.sops, b.sop]));
    const fromB = all.find((i) => value(i, 'SOPInstanceUID') === b.sop)!;
    expect(value(fromB, 'PatientID')).toBe('P2');
    expect(value(fromB, 'Modality')).toBe('CT');
    expect(String(value(fromB, 'RetrieveURL'))).toBe(
      `${app.baseUrl}/dicomweb/studies/${b.study}/series/${b.series}/instances/${b.sop}`,
    );
    expect(uidsOf(await found(`/dicomweb/instances?SOPInstanceUID=${b.sop}`), 'SOPInstanceUID')).toEqual([b.sop]);
    expect(uidsOf(await found('/dicomweb/instances?PatientID=P1&SeriesNumber=2'), 'SOPInstanceUID')).toEqual([
      a.sops[2]!,
    ]);
  });

  it('pages every level with limit and offset, saying when more results are there', async () => {
    for (const [path, total] of [
      ['/dicomweb/series', 3],
      ['/dicomweb/instances', 4],
      [`/dicomweb/studies/${a.study}/instances`, 3],
    ] as const) {
      const first = await qido(`${path}?limit=2`);
      expect({ path, length: first.body.length, warning: first.warning }).toEqual({
        path,
        length: 2,
        warning: expect.stringMatching(/^299 pacs "There are additional results/),
      });
      const rest = await qido(`${path}?limit=10&offset=2`);
      expect({ path, length: rest.body.length, warning: rest.warning }).toEqual({
        path,
        length: total - 2,
        warning: null,
      });
    }
  });

  it('answers DICOM JSON to the Accept headers that allow it, 406 to the XML form, 400 to a malformed one', async () => {
    for (const accept of [
      'application/dicom+json',
      'application/json',
      '*/*',
      'application/*',
      'image/png, */*;q=0.1',
    ]) {
      const response = await fetch(`${app.baseUrl}/dicomweb/studies?StudyInstanceUID=${a.study}`, {
        headers: { Accept: accept },
      });
      expect({ accept, status: response.status, type: response.headers.get('content-type') }).toEqual({
        accept,
        status: 200,
        type: expect.stringMatching(/^application\/dicom\+json/),
      });
      expect(((await response.json()) as Result[]).map((r) => value(r, 'StudyInstanceUID'))).toEqual([a.study]);
    }
    for (const [accept, status] of [
      ['multipart/related; type="application/dicom+xml"', 406],
      ['application/dicom+json;q=0', 406],
      ['text/html', 406],
      ['application/dicom+json;q=high', 400],
    ] as const) {
      const response = await fetch(`${app.baseUrl}/tenants/oncology/dicomweb/series`, { headers: { Accept: accept } });
      const problem = (await response.json()) as { status: number; detail: string };
      expect({ accept, status: response.status, problemStatus: problem.status }).toEqual({
        accept,
        status,
        problemStatus: status,
      });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (status === 406) expect(problem.detail).toMatch(/application\/dicom\+json/);
    }
  });

  it('adds the includefield attributes of the level and above, and the whole record for all', async () => {
    const [study] = await found(`/dicomweb/studies?StudyInstanceUID=${a.study}&includefield=StudyDescription,00100021`);
    expect(study![key('StudyDescription')]).toEqual({ vr: 'LO', Value: ['CT THORAX ABDOMEN WITH CONTRAST'] });
    expect(study![key('IssuerOfPatientID')]).toEqual({ vr: 'LO', Value: ['HOSPITAL'] });
    const [plain] = await found(`/dicomweb/studies?StudyInstanceUID=${a.study}`);
    expect(plain![key('StudyDescription')]).toBeUndefined();
    // A lower level's attribute is not returned by a search of a higher level (PS3.18 10.6.3.3.1).
    const [noInstance] = await found(
      `/dicomweb/studies?StudyInstanceUID=${a.study}&includefield=SOPInstanceUID,Modality`,
    );
    expect(noInstance![key('SOPInstanceUID')]).toBeUndefined();
    expect(noInstance![key('Modality')]).toBeUndefined();

    const series = await found(
      `/dicomweb/studies/${a.study}/series?includefield=PatientID&includefield=BodyPartExamined`,
    );
    expect(series.map((s) => [value(s, 'PatientID'), value(s, 'BodyPartExamined')])).toEqual([
      ['P1', 'ABDOMEN'],
      ['P1', 'ABDOMEN'],
    ]);
    const [all] = await found(`/dicomweb/studies/${a.study}/series/${a.mr}/instances?includefield=all`);
    expect(value(all!, 'PhotometricInterpretation')).toBe('MONOCHROME2');
    expect(value(all!, 'StudyDescription')).toBe('CT THORAX ABDOMEN WITH CONTRAST');
    expect(value(all!, 'PatientID')).toBe('P1');
    expect(value(all!, 'RetrieveURL')).toBeDefined();
  });

  it('answers 200 [] for a study or series the tenant does not hold', async () => {
    const unknown = generateUid();
    expect(await found(`/dicomweb/studies/${unknown}/series`)).toEqual([]);
    expect(await found(`/dicomweb/studies/${unknown}/instances`)).toEqual([]);
    expect(await found(`/dicomweb/studies/${a.study}/series/${unknown}/instances`)).toEqual([]);
  });

  it("keeps each tenant to its own data at every level: another tenant's study is []", async () => {
    const otherTenant = '/tenants/oncology/dicomweb';
    for (const path of [
      `/studies?StudyInstanceUID=${a.study}`,
      `/studies/${a.study}/series`,
      `/studies/${a.study}/instances`,
      `/studies/${a.study}/series/${a.ct}/instances`,
      `/series?StudyInstanceUID=${a.study}`,
      `/instances?StudyInstanceUID=${a.study}`,
      `/instances?SOPInstanceUID=${a.sops[0]}`,
    ]) {
      expect({ path, results: await found(`${otherTenant}${path}`) }).toEqual({ path, results: [] });
    }
    for (const path of [
      `/studies?StudyInstanceUID=${c.study}`,
      `/studies/${c.study}/series`,
      `/studies/${c.study}/instances`,
      `/studies/${c.study}/series/${c.series}/instances`,
      `/series?StudyInstanceUID=${c.study}`,
      `/instances?StudyInstanceUID=${c.study}`,
    ]) {
      expect({ path, results: await found(`/dicomweb${path}`) }).toEqual({ path, results: [] });
    }
    expect(uidsOf(await found(`${otherTenant}/series`), 'SeriesInstanceUID')).toEqual([c.series]);
    const [instance] = await found(`${otherTenant}/instances`);
    expect(value(instance!, 'SOPInstanceUID')).toBe(c.sop);
    expect(String(value(instance!, 'RetrieveURL'))).toBe(
      `${app.baseUrl}${otherTenant}/studies/${c.study}/series/${c.series}/instances/${c.sop}`,
    );
    expect(uidsOf(await found(`${otherTenant}/studies/${c.study}/series`), 'SeriesInstanceUID')).toEqual([c.series]);
    for (const path of [
      '/studies',
      '/series',
      '/instances',
      `/studies/${c.study}/series`,
      `/studies/${c.study}/instances`,
      `/studies/${c.study}/series/${c.series}/instances`,
    ]) {
      const result = await qido(`/tenants/cardiology/dicomweb${path}`);
      expect({ path, status: result.status, type: result.type }).toEqual({
        path,
        status: 404,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }
  });

  it('answers 400 problem+json naming a bad path UID or a key not allowed at the level', async () => {
    const problem = async (path: string) => {
      const result = await qido(path);
      expect({ path, status: result.status, type: result.type }).toEqual({
        path,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      return String(result.body.detail);
    };
    expect(await problem('/dicomweb/studies?Modality=CT')).toMatch(/^Modality: Modality is a series attribute/);
    expect(await problem(`/dicomweb/series?SOPInstanceUID=${a.sops[0]}`)).toMatch(
      /^SOPInstanceUID: .* instance attribute/,
    );
    expect(await problem(`/dicomweb/studies/${a.study}/series/${a.ct}/instances?ImageType=ORIGINAL`)).toMatch(
      /^ImageType: ImageType is not an attribute this server matches on/,
    );
    expect(await problem('/dicomweb/studies/not-a-uid/series')).toMatch(/^StudyInstanceUID: "not-a-uid" in the URL/);
    expect(await problem(`/tenants/oncology/dicomweb/studies/${a.study}/series/x.y/instances`)).toMatch(
      /^SeriesInstanceUID: "x\.y" in the URL/,
    );
    expect(await problem('/dicomweb/instances?limit=many')).toMatch(/^limit: /);
  });

  it('serves the OHIF viewer client (dicomweb-client searchForSeries, searchForInstances)', async () => {
    const client = new api.DICOMwebClient({ url: `${app.baseUrl}/dicomweb`, singlepart: false });
    const series = (await client.searchForSeries({ studyInstanceUID: a.study })) as Result[];
    expect(uidsOf(series, 'SeriesInstanceUID')).toEqual(sorted([a.ct, a.mr]));
    const instances = (await client.searchForInstances({
      studyInstanceUID: a.study,
      seriesInstanceUID: a.mr,
    })) as Result[];
    expect(uidsOf(instances, 'SOPInstanceUID')).toEqual([a.sops[2]!]);
    const everywhere = (await client.searchForInstances({ queryParams: { PatientID: 'P2' } })) as Result[];
    expect(uidsOf(everywhere, 'SOPInstanceUID')).toEqual([b.sop]);
  });
});
