import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateUid, readPart10 } from '@pacs/dicom';
import { ctInstanceFile, pydicomPath, pydicomReference } from '@pacs/dicom/testing';
import { datasetOf, filesUnder, freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const ORTHANC = '/usr/sbin/Orthanc';

interface Orthanc {
  readonly child: ChildProcess;
  readonly base: string;
  readonly dicomPort: number;
  output(): string;
}

/**
 * Orthanc (Debian's package) with a generated configuration in `dir`: its own storage, loopback
 * only, no authentication, AE title ORTHANC, and our PACS as the DICOM modality "pacs".
 */
async function startOrthanc(dir: string, pacs: { aeTitle: string; port: number }): Promise<Orthanc> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = {
    Name: 'PACS-INTEROP',
    StorageDirectory: storage,
    IndexDirectory: storage,
    StorageCompression: false,
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomModalities: { pacs: [pacs.aeTitle, '127.0.0.1', pacs.port] },
  };
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(ORTHANC, [configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await fetch(`${base}/system`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, base, dicomPort, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Orthanc did not answer /system within 30 s\n${output}`);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// A JPEG Baseline instance of pydicom's corpus: Orthanc accepts JPEG, so it goes as stored.
const JPEG = 'test_files/SC_rgb_jpeg_dcmtk.dcm';

// Orthanc, a DICOM peer nobody here wrote, against the all-in-one process: as C-MOVE destination
// of a movescu request, as C-FIND SCU (its /modalities/{id}/query) and as C-MOVE SCU asking that
// the study be sent to itself (/queries/{id}/retrieve). What arrives in Orthanc is compared with
// our stored copies, data set byte for byte (SHA-256 of the file minus its meta group).
describe('pacs process: Orthanc as C-MOVE destination and as C-FIND / C-MOVE client', () => {
  let work: string;
  let app: AppProcess;
  let orthanc: Orthanc;
  let dicomPort: number;
  const studyA = { uid: generateUid(), patientId: 'ORTH-A', patientName: 'Müller^Jürgen' };
  const studyB = { uid: generateUid(), patientId: 'ORTH-B', patientName: 'Doe^Jane' };

  /** Our stored copies of a study: SOP Instance UID → SHA-256 of the data set. */
  function storedDatasets(studyUid: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const path of filesUnder(join(work, 'data', 'blobs', 'hot', 'radiology'))) {
      const file = readFileSync(path);
      const read = readPart10(file);
      if (read.status !== 'complete') throw new Error(`${path} unreadable`);
      if (read.dataset.string('StudyInstanceUID') !== studyUid) continue;
      out.set(read.dataset.string('SOPInstanceUID')!, sha256(datasetOf(file)));
    }
    return out;
  }

  async function orthancJson<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await fetch(`${orthanc.base}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`Orthanc ${path}: ${response.status} ${text}\n${orthanc.output()}`);
    return JSON.parse(text) as T;
  }

  /** What Orthanc holds of a study: SOP Instance UID → SHA-256 of the data set of its file. */
  async function inOrthanc(studyUid: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of await orthancJson<string[]>('/instances')) {
      const response = await fetch(`${orthanc.base}/instances/${id}/file`);
      const file = Buffer.from(await response.arrayBuffer());
      const read = readPart10(file);
      if (read.status !== 'complete') throw new Error(`Orthanc instance ${id} unreadable`);
      if (read.dataset.string('StudyInstanceUID') !== studyUid) continue;
      out.set(read.dataset.string('SOPInstanceUID')!, sha256(datasetOf(file)));
    }
    return out;
  }

  beforeAll(async () => {
    if (!existsSync(ORTHANC)) throw new Error(`${ORTHANC} is missing: install Debian's orthanc package`);
    await run('which', ['storescu', 'movescu']).catch(() => {
      throw new Error('storescu and movescu are missing: install DCMTK (apt-get install dcmtk)');
    });
    work = mkdtempSync(join(tmpdir(), 'pacs-orthanc-'));
    dicomPort = await freePort();
    orthanc = await startOrthanc(join(work, 'orthanc'), { aeTitle: 'RAD_PACS', port: dicomPort });
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: [
          {
            id: 'radiology',
            aeTitles: ['RAD_PACS'],
            moveDestinations: [{ aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort }],
          },
        ],
      }),
    );
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(dicomPort),
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);

    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    let n = 0;
    for (const study of [studyA, studyB]) {
      const series = generateUid();
      for (const instanceNumber of [1, 2, 3]) {
        const file = ctInstanceFile({
          studyInstanceUid: study.uid,
          seriesInstanceUid: series,
          instanceNumber,
          patientId: study.patientId,
          patientName: study.patientName,
          rows: 16,
          columns: 16,
          pixelData: Buffer.alloc(16 * 16 * 2, instanceNumber),
        });
        writeFileSync(join(outbox, `${n++}.dcm`), file);
      }
    }
    await run('storescu', ['-aet', 'CT1', '-aec', 'RAD_PACS', '127.0.0.1', String(dicomPort), '+sd', outbox]);
    const { contentType, body } = await stowBody([{ body: readFileSync(pydicomPath(JPEG)) }]);
    const stowed = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    await stowed.arrayBuffer();
    expect(stowed.status).toBe(200);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/instances`);
      if (((await response.json()) as unknown[]).length === 7) break;
      if (Date.now() > deadline)
        throw new Error(`the 7 stored instances were not indexed within 20 s\n${app.stdout()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 90_000);

  afterAll(async () => {
    if (orthanc && orthanc.child.exitCode === null) {
      const exited = new Promise((resolve) => orthanc.child.once('exit', resolve));
      orthanc.child.kill('SIGTERM');
      await exited;
    }
    app?.child.kill('SIGTERM');
    await app?.exited();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('movescu has studies sent to Orthanc: every instance arrives, data set byte for byte', async () => {
    const jpegStudy = pydicomReference()[JPEG]!.StudyInstanceUID!;
    for (const [study, count] of [
      [studyA.uid, 3],
      [jpegStudy, 1],
    ] as const) {
      const { stdout, stderr } = await run('movescu', [
        '-v',
        '-S',
        '-aet',
        'VIEWER',
        '-aec',
        'RAD_PACS',
        '-aem',
        'ORTHANC',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        String(dicomPort),
      ]);
      expect(`${stdout}${stderr}`).toContain('Received Final Move Response (Success)');
      const ours = storedDatasets(study);
      expect(ours.size).toBe(count);
      expect(await inOrthanc(study)).toEqual(ours);
    }
  });

  it('Orthanc finds studies by Patient Name and by Patient ID (C-FIND, STUDY level)', async () => {
    type Answer = Record<string, string>;
    async function query(keys: Record<string, string>): Promise<{ id: string; answers: Answer[] }> {
      const { ID } = await orthancJson<{ ID: string }>('/modalities/pacs/query', {
        method: 'POST',
        body: JSON.stringify({
          Level: 'Study',
          Query: { PatientName: '', PatientID: '', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '', ...keys },
        }),
      });
      const indices = await orthancJson<string[]>(`/queries/${ID}/answers`);
      const answers = await Promise.all(
        indices.map((n) => orthancJson<Answer>(`/queries/${ID}/answers/${n}/content?simplify`)),
      );
      return { id: ID, answers };
    }
    const byName = await query({ PatientName: 'Doe^Jane' });
    expect(byName.answers).toEqual([
      expect.objectContaining({
        PatientName: 'Doe^Jane',
        PatientID: 'ORTH-B',
        StudyInstanceUID: studyB.uid,
        NumberOfStudyRelatedInstances: '3',
        QueryRetrieveLevel: 'STUDY',
      }),
    ]);
    // A name with Latin-1 letters: Orthanc queries in its default encoding (ISO_IR 100).
    const byWildcard = await query({ PatientName: 'Müller*' });
    expect(byWildcard.answers.map((a) => [a['PatientName'], a['StudyInstanceUID']])).toEqual([
      ['Müller^Jürgen', studyA.uid],
    ]);
    const byId = await query({ PatientID: 'ORTH-B' });
    expect(byId.answers.map((a) => a['StudyInstanceUID'])).toEqual([studyB.uid]);
    expect((await query({ PatientID: 'NOBODY' })).answers).toEqual([]);
  });

  it('Orthanc retrieves the study it found into itself (C-MOVE to its own AE title)', async () => {
    expect((await inOrthanc(studyB.uid)).size).toBe(0);
    const { ID } = await orthancJson<{ ID: string }>('/modalities/pacs/query', {
      method: 'POST',
      body: JSON.stringify({ Level: 'Study', Query: { PatientID: 'ORTH-B', StudyInstanceUID: '' } }),
    });
    await orthancJson<unknown>(`/queries/${ID}/retrieve`, {
      method: 'POST',
      body: JSON.stringify({ TargetAet: 'ORTHANC', Synchronous: true }),
    });
    const ours = storedDatasets(studyB.uid);
    expect(ours.size).toBe(3);
    expect(await inOrthanc(studyB.uid)).toEqual(ours);
  });
});
