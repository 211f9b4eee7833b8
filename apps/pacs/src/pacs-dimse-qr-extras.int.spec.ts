import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateUid, readPart10, type DicomDataset } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File, type TestElement } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const keys = (...pairs: string[]) => pairs.flatMap((pair) => ['-k', pair]);

interface SeriesSpec {
  readonly series: string;
  readonly protocol: string;
  readonly requests: readonly (readonly [procedure: string, step: string])[];
}

/** A small CT image of the study, with the series' protocol and requests (RequestAttributesSequence). */
function instanceFile(study: string, spec: SeriesSpec): Buffer {
  const elements = ctInstanceElements({
    studyInstanceUid: study,
    seriesInstanceUid: spec.series,
    rows: 16,
    columns: 16,
  }).map((element) => (element.tag === 'ProtocolName' ? { ...element, value: spec.protocol } : element));
  const requests: TestElement = {
    tag: 'RequestAttributesSequence',
    value: spec.requests.map(([procedure, step]) => [
      { tag: 'RequestedProcedureID', value: procedure },
      { tag: 'ScheduledProcedureStepID', value: step },
    ]),
  };
  return encodePart10File({ elements: [...elements, requests], transferSyntaxUid: '1.2.840.10008.1.2.1' });
}

// The all-in-one process: STOW-RS stores two series, then findscu queries them at SERIES level on
// a tenant's extra attribute (ProtocolName, once its reindex job is done) and item by item on
// RequestAttributesSequence (Sequence Matching, PS3.4 C.2.2.2.6).
describe("pacs process: DIMSE C-FIND on a tenant's extra attributes and on sequences, with DCMTK", () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;
  const study = generateUid();
  const abdomen: SeriesSpec = {
    series: generateUid(),
    protocol: 'ABD ROUTINE',
    requests: [
      ['RP1', 'SPS1'],
      ['RP2', 'SPS2'],
    ],
  };
  const chest: SeriesSpec = { series: generateUid(), protocol: 'CHEST HR', requests: [['RP3', 'SPS9']] };

  const url = (path: string) => `${app.baseUrl}/tenants/radiology${path}`;

  async function waitUntil(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} within 20 s\n${app.stdout()}\n${app.stderr()}`);
  }

  /** findscu at SERIES level of Study Root in the study: its output and the responses it wrote. */
  async function findSeries(...pairs: string[]): Promise<{ output: string; responses: DicomDataset[] }> {
    const dir = join(work, `find-${generateUid()}`);
    mkdirSync(dir);
    const args = ['-v', '-S', '-aet', 'VIEWER', '-aec', 'RAD_PACS'];
    const query = keys('QueryRetrieveLevel=SERIES', `StudyInstanceUID=${study}`, 'SeriesInstanceUID', ...pairs);
    const { stdout, stderr } = await run(
      'findscu',
      [...args, ...query, '-X', '-od', dir, '127.0.0.1', dicomPort],
      dcmtk,
    );
    const responses = readdirSync(dir)
      .sort()
      .map((name) => {
        const read = readPart10(readFileSync(join(dir, name)));
        if (read.status !== 'complete') throw new Error(`${name} unreadable`);
        return read.dataset;
      });
    return { output: `${stdout}${stderr}`, responses };
  }

  const seriesOf = (responses: DicomDataset[]) => responses.map((r) => r.string('SeriesInstanceUID')).sort();

  beforeAll(async () => {
    await run('which', ['findscu']).catch(() => {
      throw new Error('findscu is missing: install DCMTK (apt-get install dcmtk, or npm test does it)');
    });
    work = mkdtempSync(join(tmpdir(), 'pacs-dimse-qr-extras-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'radiology', aeTitles: ['RAD_PACS'] }] }));
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
      PACS_TENANTS_FILE: tenantsFile,
      PACS_REINDEX_INTERVAL_MS: '100',
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    const { contentType, body } = await stowBody([abdomen, chest].map((spec) => ({ body: instanceFile(study, spec) })));
    const stored = await fetch(url('/dicomweb/studies'), {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await stored.arrayBuffer();
    expect(stored.status).toBe(200);
    await waitUntil('the stored series were indexed', async () => {
      const response = await fetch(url(`/dicomweb/studies/${study}/series`));
      return response.status === 200 && ((await response.json()) as unknown[]).length === 2;
    });
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('finds a series by an extra attribute once the reindex job is done, and returns its value', async () => {
    // Before the tenant lists it: an optional key not supported (FF01), ignored, returned empty.
    const before = await findSeries('ProtocolName=CHEST*');
    expect(seriesOf(before.responses)).toEqual([abdomen.series, chest.series].sort());
    expect(before.responses.every((r) => r.string('ProtocolName') === undefined)).toBe(true);
    expect(before.output).toMatch(/Pending: Warning/i);

    const set = await fetch(url('/index/attributes'), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ attributes: [{ attribute: 'ProtocolName', level: 'series' }] }),
    });
    expect(set.status).toBe(200);
    const { reindexJob } = (await set.json()) as { reindexJob: { url: string } };
    await waitUntil('the reindex job was done', async () => {
      const job = (await (await fetch(`${app.baseUrl}${reindexJob.url}`)).json()) as { state: string };
      return job.state === 'done';
    });

    const after = await findSeries('ProtocolName=CHEST*');
    expect(after.output).toContain('Received Final Find Response (Success)');
    expect(after.output).not.toMatch(/Pending: Warning/i);
    expect(after.responses.map((r) => [r.string('SeriesInstanceUID'), r.string('ProtocolName')])).toEqual([
      [chest.series, 'CHEST HR'],
    ]);
    const all = await findSeries('ProtocolName');
    expect(all.responses.map((r) => [r.string('SeriesInstanceUID'), r.string('ProtocolName')]).sort()).toEqual(
      [
        [abdomen.series, 'ABD ROUTINE'],
        [chest.series, 'CHEST HR'],
      ].sort(),
    );
  }, 60_000);

  it('finds the series one of whose requests matches the item keys, and returns that request', async () => {
    const { output, responses } = await findSeries(
      'RequestAttributesSequence[0].RequestedProcedureID=RP1',
      'RequestAttributesSequence[0].ScheduledProcedureStepID',
    );
    expect(output).toContain('Received Final Find Response (Success)');
    expect(seriesOf(responses)).toEqual([abdomen.series]);
    const items = responses[0]!.items('RequestAttributesSequence');
    expect(items.map((item) => [item.string('RequestedProcedureID'), item.string('ScheduledProcedureStepID')])).toEqual(
      [['RP1', 'SPS1']],
    );
    // Both keys in the same item: RP1 with SPS2 is in no one request.
    const none = await findSeries(
      'RequestAttributesSequence[0].RequestedProcedureID=RP1',
      'RequestAttributesSequence[0].ScheduledProcedureStepID=SPS2',
    );
    expect(none.responses).toEqual([]);
    // An empty item: every series, each with its whole sequence.
    const whole = await findSeries('RequestAttributesSequence[0]');
    const requestsOf = (r: DicomDataset) =>
      r.items('RequestAttributesSequence').map((item) => item.string('RequestedProcedureID'));
    expect(whole.responses.map((r) => [r.string('SeriesInstanceUID'), requestsOf(r)]).sort()).toEqual(
      [
        [abdomen.series, ['RP1', 'RP2']],
        [chest.series, ['RP3']],
      ].sort(),
    );
  }, 60_000);
});
