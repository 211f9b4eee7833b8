import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid, readPart10 } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import {
  datasetOf,
  freePort,
  startApp,
  startOrthanc,
  stowBody,
  waitForStatus,
  type AppProcess,
  type Orthanc,
} from '@pacs/testing';

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function images(count: number, modality: 'CT' | 'MR'): Map<string, Buffer> {
  const study = generateUid();
  const series = generateUid();
  const files = new Map<string, Buffer>();
  for (let n = 1; n <= count; n++) {
    const sop = generateUid();
    const file = ctInstanceFile({
      studyInstanceUid: study,
      seriesInstanceUid: series,
      sopInstanceUid: sop,
      instanceNumber: n,
      patientId: 'ORTHANC-ROUTE',
      rows: 16,
      columns: 16,
      pixelData: Buffer.alloc(16 * 16 * 2, n),
      ...(modality === 'MR' ? { modality: 'MR', sopClassUid: MR_IMAGE_STORAGE } : {}),
    });
    files.set(sop, file);
  }
  return files;
}

// Orthanc (Debian's package), a peer nobody here wrote, as the destination of two rules of the
// all-in-one process: CT studies once stable go to its DICOMweb STOW-RS service with their
// InstitutionName changed; MR instances go one by one to its DICOM port (C-STORE), as sent.
describe('pacs process: routing to Orthanc, by STOW-RS and by C-STORE', () => {
  let work: string;
  let app: AppProcess;
  let orthanc: Orthanc;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-routing-orthanc-'));
    orthanc = await startOrthanc();
    const routingFile = join(work, 'routing.json');
    writeFileSync(
      routingFile,
      JSON.stringify({
        tenants: {
          default: {
            destinations: [
              { id: 'orthanc-web', kind: 'dicomweb', stowUrl: orthanc.stowUrl },
              {
                id: 'orthanc-dicom',
                kind: 'dimse',
                aeTitle: orthanc.aeTitle,
                host: '127.0.0.1',
                port: orthanc.dicomPort,
              },
            ],
            rules: [
              {
                id: 'stable-ct-to-orthanc',
                trigger: 'study-stable',
                condition: { attribute: 'Modality', equals: 'CT' },
                destinations: ['orthanc-web'],
                modify: { set: { InstitutionName: 'FORWARDED BY PACS' } },
              },
              {
                id: 'mr-to-orthanc',
                trigger: 'instance',
                condition: { attribute: 'Modality', equals: 'MR' },
                destinations: ['orthanc-dicom'],
              },
            ],
          },
        },
      }),
    );
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_ROUTING_FILE: routingFile,
      PACS_STUDY_STABLE_SECONDS: '2',
      PACS_FORWARD_POLL_MS: '200',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    await orthanc?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  async function stow(files: Map<string, Buffer>): Promise<void> {
    const { contentType, body } = await stowBody([...files.values()].map((file) => ({ body: file })));
    const response = await fetch(`${app.baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`STOW-RS answered ${response.status}: ${text}`);
  }

  async function inOrthanc(sops: Iterable<string>, timeoutMs: number): Promise<Map<string, Buffer>> {
    const wanted = [...sops];
    const found = new Map<string, Buffer>();
    const deadline = Date.now() + timeoutMs;
    while (found.size < wanted.length) {
      for (const sop of wanted) {
        if (found.has(sop)) continue;
        const file = await orthanc.file(sop);
        if (file) found.set(sop, file);
      }
      if (found.size === wanted.length) break;
      if (Date.now() > deadline) {
        throw new Error(`${found.size} of ${wanted.length} in Orthanc\n${app.stdout()}\n${orthanc.output()}`);
      }
      await sleep(250);
    }
    return found;
  }

  it('sends a stable CT study by STOW-RS with its InstitutionName changed, the rest as stored', async () => {
    const ct = images(8, 'CT');
    await stow(ct);
    const arrived = await inOrthanc(ct.keys(), 60_000);
    for (const [sop, sent] of ct) {
      const read = readPart10(arrived.get(sop)!);
      const original = readPart10(sent);
      if (read.status !== 'complete' || original.status !== 'complete') throw new Error('unreadable');
      expect(read.dataset.string('InstitutionName')).toBe('FORWARDED BY PACS');
      expect(original.dataset.string('InstitutionName')).not.toBe('FORWARDED BY PACS');
      for (const keyword of ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'ImageType', 'ConvolutionKernel']) {
        expect({ keyword, value: read.dataset.string(keyword) }).toEqual({
          keyword,
          value: original.dataset.string(keyword),
        });
      }
      expect(read.dataset.bytesOf('PixelData')?.equals(original.dataset.bytesOf('PixelData')!)).toBe(true);
    }
  }, 90_000);

  it('sends each MR instance by C-STORE, data sets byte for byte', async () => {
    const mr = images(5, 'MR');
    await stow(mr);
    const arrived = await inOrthanc(mr.keys(), 60_000);
    for (const [sop, sent] of mr) expect(datasetOf(arrived.get(sop)!).equals(datasetOf(sent))).toBe(true);
  }, 90_000);
});
