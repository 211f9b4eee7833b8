import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateUid, readPart10, type DicomDataset } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import {
  datasetOf,
  filesUnder,
  freePort,
  startApp,
  waitForStatus,
  startMoveDestination,
  type AppProcess,
} from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };

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

const keys = (...pairs: string[]) => pairs.flatMap((pair) => ['-k', pair]);

// The all-in-one process as a DICOM archive: storescu sends a study, then findscu, getscu and
// movescu (to storescp, a destination of the tenant) query and retrieve it through the indexer's
// metadata index and the blob store.
describe('pacs process: DIMSE C-FIND, C-GET and C-MOVE with DCMTK', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;
  let storescp: ReturnType<typeof startTool>;
  let storeDir: string;
  const study = generateUid();
  const series = [generateUid(), generateUid()];
  const otherStudy = generateUid();
  const sent = new Map<string, Buffer>();

  const stored = () => filesUnder(join(work, 'data', 'blobs', 'hot', 'radiology'));

  async function find(args: string[]): Promise<{ output: string; responses: DicomDataset[] }> {
    const dir = join(work, `find-${generateUid()}`);
    mkdirSync(dir);
    const result = await tool('findscu', [
      '-v',
      '-aet',
      'VIEWER',
      '-aec',
      'RAD_PACS',
      ...args,
      '-X',
      '-od',
      dir,
      '127.0.0.1',
      dicomPort,
    ]);
    const responses = readdirSync(dir)
      .sort()
      .map((name) => {
        const read = readPart10(readFileSync(join(dir, name)));
        if (read.status !== 'complete') throw new Error(`${name} unreadable`);
        return read.dataset;
      });
    return { output: result.output, responses };
  }

  beforeAll(async () => {
    for (const name of ['storescu', 'findscu', 'getscu', 'movescu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk, or npm test's pretest does it)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-dimse-qr-'));
    const peer = await startMoveDestination(work, { storescpOptions: ['+B', '+xa'] });
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

    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    const pixels = Buffer.alloc(32 * 32 * 2, 7);
    const files = [
      ...[1, 2].map((n) => ({ studyInstanceUid: study, seriesInstanceUid: series[0]!, instanceNumber: n })),
      { studyInstanceUid: study, seriesInstanceUid: series[1]!, instanceNumber: 1 },
      {
        studyInstanceUid: otherStudy,
        seriesInstanceUid: generateUid(),
        instanceNumber: 1,
        patientId: 'P2',
        patientName: 'Doe^Jane',
      },
    ].map((options, i) => {
      const file = ctInstanceFile({
        patientId: 'P1',
        patientName: 'Müller^Jürgen',
        ...options,
        rows: 32,
        columns: 32,
        pixelData: pixels,
      });
      writeFileSync(join(outbox, `${i}.dcm`), file);
      const read = readPart10(file);
      if (read.status !== 'complete') throw new Error('unreadable');
      sent.set(read.dataset.string('SOPInstanceUID')!, datasetOf(file));
      return file;
    });
    await run('storescu', ['-aet', 'CT1', '-aec', 'RAD_PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);
    expect(stored()).toHaveLength(files.length);
    // Indexing follows the store (instance.stored, consumed by the indexer): wait for it.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const response = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies?StudyInstanceUID=${study}`);
      const body = (await response.json()) as Array<Record<string, { Value?: unknown[] }>>;
      if (body[0]?.['00201208']?.Value?.[0] === 3) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the stored study was not indexed within 20 s\n${app.stdout()}\n${app.stderr()}`);
  }, 60_000);

  afterAll(async () => {
    storescp?.child.kill();
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('finds the studies of a patient (Study Root, STUDY level) with the requested keys', async () => {
    const { output, responses } = await find([
      '-S',
      ...keys(
        'QueryRetrieveLevel=STUDY',
        'PatientID=P1',
        'PatientName',
        'StudyInstanceUID',
        'NumberOfStudyRelatedInstances',
      ),
      ...keys('ModalitiesInStudy', 'RetrieveAETitle'),
    ]);
    expect(output).toContain('Received Final Find Response (Success)');
    expect(responses).toHaveLength(1);
    const [found] = responses;
    expect(found!.string('StudyInstanceUID')).toBe(study);
    expect(found!.string('PatientName')).toBe('Müller^Jürgen');
    expect(found!.number('NumberOfStudyRelatedInstances')).toBe(3);
    expect(found!.strings('ModalitiesInStudy')).toEqual(['CT']);
    expect(found!.string('RetrieveAETitle')).toBe('RAD_PACS');
  });

  it('finds one response per patient (Patient Root, PATIENT level)', async () => {
    const { responses } = await find([
      '-P',
      ...keys('QueryRetrieveLevel=PATIENT', 'PatientID', 'PatientName', 'NumberOfPatientRelatedStudies'),
    ]);
    const byId = new Map(responses.map((r) => [r.string('PatientID'), r]));
    expect([...byId.keys()].sort()).toEqual(['P1', 'P2']);
    expect(byId.get('P1')!.number('NumberOfPatientRelatedStudies')).toBe(1);
  });

  it('finds the series of a study and the instances of a series', async () => {
    const found = await find([
      '-S',
      ...keys(
        'QueryRetrieveLevel=SERIES',
        `StudyInstanceUID=${study}`,
        'SeriesInstanceUID',
        'NumberOfSeriesRelatedInstances',
      ),
    ]);
    expect(
      found.responses.map((r) => [r.string('SeriesInstanceUID'), r.number('NumberOfSeriesRelatedInstances')]).sort(),
    ).toEqual(
      [
        [series[0], 2],
        [series[1], 1],
      ].sort(),
    );
    const images = await find([
      '-P',
      ...keys(
        'QueryRetrieveLevel=IMAGE',
        'PatientID=P1',
        `StudyInstanceUID=${study}`,
        `SeriesInstanceUID=${series[0]}`,
      ),
      ...keys('SOPInstanceUID', 'InstanceNumber'),
    ]);
    expect(images.responses.map((r) => r.number('InstanceNumber')).sort()).toEqual([1, 2]);
  });

  it('answers A900 naming (0008,0052) without Query/Retrieve Level, and refuses an unserved model', async () => {
    const missing = await tool('findscu', [
      '-d',
      '-S',
      '-aec',
      'RAD_PACS',
      '-k',
      'PatientID=P1',
      '127.0.0.1',
      dicomPort,
    ]);
    expect(missing.output).toMatch(/DIMSE Status\s+: 0xa900/i);
    expect(missing.output).toContain('Query/Retrieve Level (0008,0052) is missing');
    const unserved = await tool('findscu', [
      '-O',
      '-aec',
      'RAD_PACS',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '127.0.0.1',
      dicomPort,
    ]);
    expect(unserved.code).not.toBe(0);
    expect(unserved.output).toMatch(/No Acceptable Presentation Contexts/i);
  });

  it('C-GET: getscu receives the study, each data set as storescu sent it', async () => {
    const dir = join(work, 'get');
    mkdirSync(dir);
    const result = await tool('getscu', [
      '-v',
      '-S',
      '-aec',
      'RAD_PACS',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`),
      '+B',
      '-od',
      dir,
      '127.0.0.1',
      dicomPort,
    ]);
    expect(result.output).toContain('Received C-GET Response (Success)');
    const received = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
    expect(received).toHaveLength(3);
    for (const file of received) {
      const read = readPart10(file);
      if (read.status !== 'complete') throw new Error('unreadable');
      expect(datasetOf(file).equals(sent.get(read.dataset.string('SOPInstanceUID')!)!)).toBe(true);
    }
  });

  it('C-MOVE: movescu has the study sent to storescp; an unknown destination is A801', async () => {
    const moved = await tool('movescu', [
      '-v',
      '-S',
      '-aec',
      'RAD_PACS',
      '-aem',
      'STORESCP',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`),
      '127.0.0.1',
      dicomPort,
    ]);
    expect(moved.output).toContain('Received Final Move Response (Success)');
    const received = readdirSync(storeDir).map((name) => readFileSync(join(storeDir, name)));
    expect(received).toHaveLength(3);
    for (const file of received) {
      const read = readPart10(file);
      if (read.status !== 'complete') throw new Error('unreadable');
      expect(datasetOf(file).equals(sent.get(read.dataset.string('SOPInstanceUID')!)!)).toBe(true);
    }
    const unknown = await tool('movescu', [
      '-d',
      '-S',
      '-aec',
      'RAD_PACS',
      '-aem',
      'NOWHERE',
      ...keys('QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`),
      '127.0.0.1',
      dicomPort,
    ]);
    expect(unknown.output).toMatch(/DIMSE Status\s+: 0xa801/i);
    expect(unknown.output).toContain('move destination "NOWHERE" unknown');
  });
});
