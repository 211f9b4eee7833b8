import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTag, generateUid, tagOf } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File, type TestElement } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

type Result = Record<string, { vr: string; Value?: unknown[] }>;
const key = (keyword: string) => formatTag(tagOf(keyword));
const value = (result: Result, keyword: string) => result[key(keyword)]?.Value;

interface InstanceSpec {
  readonly study: string;
  readonly series: string;
  readonly sop: string;
  readonly protocol: string;
  readonly imageType: string[];
  readonly requests?: readonly (readonly [procedure: string, step: string])[];
}

/** A small CT image with the spec's protocol, image type and requests (RequestAttributesSequence). */
function instanceFile(spec: InstanceSpec): Buffer {
  const overrides: Record<string, TestElement['value']> = { ProtocolName: spec.protocol, ImageType: spec.imageType };
  const elements = ctInstanceElements({
    studyInstanceUid: spec.study,
    seriesInstanceUid: spec.series,
    sopInstanceUid: spec.sop,
    rows: 16,
    columns: 16,
  }).map((element) =>
    typeof element.tag === 'string' && element.tag in overrides
      ? { ...element, value: overrides[element.tag]! }
      : element,
  );
  const requests: TestElement[] = spec.requests
    ? [
        {
          tag: 'RequestAttributesSequence',
          value: spec.requests.map(([procedure, step]) => [
            { tag: 'RequestedProcedureID', value: procedure },
            { tag: 'ScheduledProcedureStepID', value: step },
          ]),
        },
      ]
    : [];
  return encodePart10File({ elements: [...elements, ...requests], transferSyntaxUid: '1.2.840.10008.1.2.1' });
}

// STOW-RS into the all-in-one process, then a tenant's extra attributes: PUT, the reindex job run
// to its end, QIDO-RS by them; sequence matching on RequestAttributesSequence and combined
// date-time matching (the CT images are of 2026-03-15 10:10:22); a job resumed after a restart.
describe('pacs process: extra indexed attributes, sequence and combined date-time matching', () => {
  let work: string;
  let app: AppProcess | undefined;
  let ports: Record<string, string>;
  const study = generateUid();
  const abdomen = { series: generateUid(), sops: [generateUid(), generateUid()] };
  const chest = { series: generateUid(), sop: generateUid() };
  const oncology = { study: generateUid(), series: generateUid(), sop: generateUid() };

  async function start(reindexIntervalMs: number): Promise<void> {
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      ...ports,
      PACS_TENANTS_FILE: join(work, 'tenants.json'),
      PACS_REINDEX_INTERVAL_MS: String(reindexIntervalMs),
      // One copy a batch: the job records a batch per copy.
      PACS_REINDEX_BATCH_SIZE: '1',
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }

  async function stop(): Promise<void> {
    app?.child.kill('SIGTERM');
    expect((await app?.exited())?.code).toBe(0);
    app = undefined;
  }

  const url = (path: string) => `${app!.baseUrl}${path}`;

  async function stow(path: string, files: Buffer[]): Promise<number> {
    const { contentType, body } = await stowBody(files.map((file) => ({ body: file })));
    const response = await fetch(url(path), {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function request(path: string, init: RequestInit = {}) {
    const response = await fetch(url(path), init);
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as never,
    };
  }

  const put = (tenant: string, attributes: unknown) =>
    request(`/tenants/${tenant}/index/attributes`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ attributes }),
    });

  /** The results of a QIDO-RS search that must succeed. */
  async function found(path: string): Promise<Result[]> {
    const { status, body } = await request(path);
    expect({ path, status }).toEqual({ path, status: 200 });
    return body;
  }

  async function waitUntil(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} within 20 s\n${app?.stdout()}\n${app?.stderr()}`);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-index-attributes-'));
    writeFileSync(join(work, 'tenants.json'), JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    ports = { PACS_HTTP_PORT: String(await freePort()), PACS_DICOM_PORT: String(await freePort()) };
    await start(100);
    const files = [
      instanceFile({
        study,
        series: abdomen.series,
        sop: abdomen.sops[0]!,
        protocol: 'ABD ROUTINE',
        imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        requests: [
          ['RP1', 'SPS1'],
          ['RP2', 'SPS2'],
        ],
      }),
      instanceFile({
        study,
        series: abdomen.series,
        sop: abdomen.sops[1]!,
        protocol: 'ABD ROUTINE',
        imageType: ['DERIVED', 'SECONDARY', 'MPR'],
        requests: [
          ['RP1', 'SPS1'],
          ['RP2', 'SPS2'],
        ],
      }),
      instanceFile({
        study,
        series: chest.series,
        sop: chest.sop,
        protocol: 'CHEST HR',
        imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        requests: [['RP1', 'SPS9']],
      }),
    ];
    expect(await stow('/dicomweb/studies', files)).toBe(200);
    const other = instanceFile({ ...oncology, protocol: 'ONCO PET', imageType: ['ORIGINAL'] });
    expect(await stow('/tenants/oncology/dicomweb/studies', [other])).toBe(200);
    await waitUntil('the stored instances were indexed', async () => {
      const all = await request('/dicomweb/instances');
      const onco = await request('/tenants/oncology/dicomweb/instances');
      return (all.body as unknown[]).length === 3 && (onco.body as unknown[]).length === 1;
    });
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('refuses a key no list holds, and a bad list naming its entry', async () => {
    const refused = await request('/dicomweb/series?ProtocolName=ABD*');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      detail: expect.stringMatching(/^ProtocolName: ProtocolName is not an attribute/),
    });
    expect(await request('/tenants/default/index/attributes')).toEqual({
      status: 200,
      type: expect.stringMatching(/^application\/json/),
      body: { generation: 0, attributes: [] },
    });
    const bad = await put('default', [
      { attribute: 'ProtocolName', level: 'series' },
      { attribute: 'ProtocolNam', level: 'series' },
    ]);
    expect(bad).toEqual({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: expect.objectContaining({ status: 400, detail: expect.stringMatching(/^attributes\[1\] "ProtocolNam": /) }),
    });
    expect((await put('default', [{ attribute: 'BodyPartExamined', level: 'series' }])).body).toMatchObject({
      detail: 'attributes[0] "BodyPartExamined": BodyPartExamined is indexed already, at series level',
    });
    expect((await request('/tenants/default/index/attributes')).body).toEqual({ generation: 0, attributes: [] });
  });

  it('indexes the attributes of a list once its reindex job is done, and matches them at their level', async () => {
    const set = await put('default', [
      { attribute: 'ProtocolName', level: 'series' },
      { attribute: '00080008', level: 'instance' },
    ]);
    expect(set.status).toBe(200);
    const body = set.body as { generation: number; attributes: unknown[]; reindexJob: { id: string; url: string } };
    expect(body).toMatchObject({
      generation: 1,
      attributes: [
        { attribute: 'ProtocolName', tag: '00181030', vr: 'LO', level: 'series' },
        { attribute: 'ImageType', tag: '00080008', vr: 'CS', level: 'instance' },
      ],
      reindexJob: { url: `/tenants/default/index/reindex/${body.reindexJob.id}` },
    });
    expect((await request('/tenants/default/index/attributes')).body).toEqual(body);
    let job: { state: string; done: number; total: number; batches: number; errorCount: number } | undefined;
    await waitUntil('the reindex job was done', async () => {
      const answer = (await request(body.reindexJob.url)).body as unknown as typeof job;
      job = answer;
      return answer?.state === 'done';
    });
    // One copy a batch, and the last batch finds none after it.
    expect(job).toMatchObject({ done: 3, total: 3, batches: 4, errorCount: 0 });
    const chestSeries = await found('/dicomweb/series?ProtocolName=CHEST*');
    expect(chestSeries.map((s) => value(s, 'SeriesInstanceUID'))).toEqual([[chest.series]]);
    // Returned by default at its level.
    expect(value(chestSeries[0]!, 'ProtocolName')).toEqual(['CHEST HR']);
    expect(chestSeries[0]![key('ImageType')]).toBeUndefined();
    const derived = await found(`/dicomweb/studies/${study}/instances?ImageType=DERIVED`);
    expect(derived.map((i) => value(i, 'SOPInstanceUID'))).toEqual([[abdomen.sops[1]]]);
    expect(value(derived[0]!, 'ImageType')).toEqual(['DERIVED', 'SECONDARY', 'MPR']);
    // An instance attribute does not select series.
    const lower = await request('/dicomweb/series?ImageType=DERIVED');
    expect(lower.body).toMatchObject({ detail: expect.stringMatching(/ImageType is an instance attribute/) });
    const missing = await request('/dicomweb/studies/1.2.3/series/1.2.3.4/instances?ImageType=X');
    expect(missing.status).toBe(200);
    expect(await request(`/tenants/oncology/index/reindex/${body.reindexJob.id}`)).toMatchObject({ status: 404 });
  });

  it('gives an instance stored after the list its attributes without a job', async () => {
    const late = { study, series: generateUid(), sop: generateUid() };
    const file = instanceFile({ ...late, protocol: 'LATE PROTOCOL', imageType: ['ORIGINAL'] });
    expect(await stow('/dicomweb/studies', [file])).toBe(200);
    await waitUntil('the late instance was indexed', async () => {
      const { body } = await request('/dicomweb/series?ProtocolName=LATE*');
      return (body as unknown[]).length === 1;
    });
  });

  it("keeps another tenant's list apart", async () => {
    expect((await request('/tenants/oncology/index/attributes')).body).toEqual({ generation: 0, attributes: [] });
    expect((await request('/tenants/oncology/dicomweb/series?ProtocolName=ONCO*')).status).toBe(400);
    expect((await request('/tenants/Not_A_Tenant/index/attributes')).status).toBe(404);
  });

  it('matches the requests of a series item by item, returning the items that match', async () => {
    const path = `/dicomweb/studies/${study}/series?RequestAttributesSequence.RequestedProcedureID=RP2`;
    const series = await found(path);
    expect(series.map((s) => value(s, 'SeriesInstanceUID'))).toEqual([[abdomen.series]]);
    expect(value(series[0]!, 'RequestAttributesSequence')).toEqual([
      {
        [key('RequestedProcedureID')]: { vr: 'SH', Value: ['RP2'] },
        [key('ScheduledProcedureStepID')]: { vr: 'SH', Value: ['SPS2'] },
      },
    ]);
    const itemWise = await found(
      `/dicomweb/studies/${study}/series?RequestAttributesSequence.RequestedProcedureID=RP1&RequestAttributesSequence.ScheduledProcedureStepID=SPS2`,
    );
    expect(itemWise).toEqual([]);
    const both = await found(`/dicomweb/studies/${study}/series?RequestAttributesSequence.RequestedProcedureID=RP1`);
    expect(both).toHaveLength(2);
  });

  it.each([
    // 10:10:22 is within "to 10:10:22", not "to 10:10:21" (bounds at their precision, included).
    ['StudyDate=20260314-20260315&StudyTime=2200-101021', 0],
    ['StudyDate=20260314-20260315&StudyTime=2200-101022', 1],
    ['StudyDate=20260315-20260316&StudyTime=101022-0100', 1],
    ['StudyDate=20260315-20260316&StudyTime=101023-0100', 0],
    // A single date: each on its own, and 22:00 to 10:11 of one day is no time at all.
    ['StudyDate=20260315&StudyTime=2200-1011', 0],
  ])('matches %s as one date-time range: %i', async (query, count) => {
    expect(await found(`/dicomweb/studies?${query}&StudyInstanceUID=${study}`)).toHaveLength(count);
  });

  it('runs a job created before a restart once the indexer runs again', async () => {
    await stop();
    // The indexer looks for jobs an hour from its start: the job waits.
    await start(3_600_000);
    const set = await put('oncology', [{ attribute: 'ProtocolName', level: 'series' }]);
    const jobUrl = (set.body as { reindexJob: { url: string } }).reindexJob.url;
    expect((await request(jobUrl)).body).toMatchObject({ state: 'pending', done: 0, total: 1 });
    expect(await found('/tenants/oncology/dicomweb/series?ProtocolName=ONCO*')).toEqual([]);
    await stop();
    await start(100);
    await waitUntil('the job was run after the restart', async () => {
      const { body } = await request(jobUrl);
      return (body as { state: string }).state === 'done';
    });
    const series = await found('/tenants/oncology/dicomweb/series?ProtocolName=ONCO*');
    expect(series.map((s) => value(s, 'SeriesInstanceUID'))).toEqual([[oncology.series]]);
    // The default tenant's list is as it was.
    expect((await request('/tenants/default/index/attributes')).body).toMatchObject({ generation: 1 });
  }, 60_000);
});
