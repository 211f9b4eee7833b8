import { readFileSync } from 'node:fs';
import { readPart10 } from '@pacs/dicom';
import { ctInstanceElements, ctInstanceFile, encodePart10File, pydicomFolder, pydicomPath } from '@pacs/dicom/testing';
import { freePort } from '@pacs/testing';
import type { DicomWebDestination, DimseDestination } from '../destination';
import { applyModification } from '../modify/apply-modification';
import { DimseForwardSender } from './dimse-forward-sender.adapter';
import { isForwardError, type ForwardError } from './forward.errors';
import type { ForwardSession, SendOutcome } from './forward-sender.port';
import { StowRsForwardSender } from './stow-rs-forward-sender.adapter';
import { basicAuthorization, datasetBytes, instanceOf, startOrthanc, type Orthanc } from './testing/forward-peers';

const ELE = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const USER = { name: 'router', password: 'forward-secret' };

const small = () => ctInstanceFile({ rows: 32, columns: 32, pixelData: Buffer.alloc(2048, 9) });

function stowDestination(stowUrl: string, headers: Record<string, string> = {}): DicomWebDestination {
  return { id: 'orthanc-web', kind: 'dicomweb', stowUrl, headers, maxConcurrency: 1 };
}

async function rejection(promise: Promise<unknown>): Promise<ForwardError> {
  try {
    await promise;
  } catch (error) {
    if (isForwardError(error)) return error;
    throw error;
  }
  throw new Error('expected a ForwardError');
}

function expectRejected(outcome: SendOutcome): Extract<SendOutcome, { kind: 'rejected' }> {
  if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  return outcome;
}

// Orthanc (Debian's package, with its DICOMweb plugin) as destination, a peer nobody here wrote:
// what it stores is fetched back over its REST API and compared with what was sent.
describe('forwarding to Orthanc', () => {
  // pydicom's corpus (Debian's python3-pydicom): fails naming the package when it is missing.
  beforeAll(() => pydicomFolder('test_files'));
  let orthanc: Orthanc;
  let session: ForwardSession | undefined;
  const auth = { Authorization: basicAuthorization(USER.name, USER.password) };
  const stow = new StowRsForwardSender({ timeoutMs: 10_000 });

  beforeAll(async () => {
    orthanc = await startOrthanc({ user: USER });
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });
  afterAll(() => orthanc?.stop());

  describe('STOW-RS', () => {
    it('delivers instances on one session, data sets byte for byte as stored (one uncompressed, one JPEG)', async () => {
      const files = [small(), readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'))];
      session = await stow.open(stowDestination(orthanc.stowUrl, auth), files.map(instanceOf));
      expect(await session.send(instanceOf(files[0]!))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
      expect(await session.send(instanceOf(files[1]!))).toEqual({
        kind: 'confirmed',
        transferSyntaxUid: JPEG_BASELINE,
      });
      for (const file of files) {
        const stored = await orthanc.file(instanceOf(file).sopInstanceUid);
        expect(stored).toBeDefined();
        expect(datasetBytes(stored!).equals(datasetBytes(file))).toBe(true);
      }
    });

    it('applies the rule changes: Orthanc shows them', async () => {
      const file = small();
      const modify = { set: { InstitutionName: ['Hôpital Général'] }, remove: ['StationName'] };
      session = await stow.open(stowDestination(orthanc.stowUrl, auth), [instanceOf(file)]);
      expect(await session.send(instanceOf(file), modify)).toMatchObject({ kind: 'confirmed' });
      const stored = (await orthanc.file(instanceOf(file).sopInstanceUid))!;
      expect(datasetBytes(stored).equals(datasetBytes(applyModification(file, modify)))).toBe(true);
      const read = readPart10(stored);
      if (read.status !== 'complete') throw new Error('incomplete');
      expect(read.dataset.string('InstitutionName')).toBe('Hôpital Général');
      expect(read.dataset.has('StationName')).toBe(false);
      // And its own reading of the file, over its REST API:
      const id = (
        (await (
          await fetch(`${orthanc.base}/tools/find`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ Level: 'Instance', Query: { SOPInstanceUID: instanceOf(file).sopInstanceUid } }),
          })
        ).json()) as string[]
      )[0];
      const tags = (await (
        await fetch(`${orthanc.base}/instances/${id}/simplified-tags`, { headers: auth })
      ).json()) as Record<string, unknown>;
      expect(tags['InstitutionName']).toBe('Hôpital Général');
      expect(tags['StationName']).toBeUndefined();
    });

    it('an instance Orthanc cannot take: rejected with its Failure Reason', async () => {
      const file = encodePart10File({
        elements: ctInstanceElements({ rows: 4, columns: 4 }).filter(
          (e) => e.tag !== 'StudyInstanceUID' && e.tag !== 'SeriesInstanceUID',
        ),
        transferSyntaxUid: ELE,
      });
      session = await stow.open(stowDestination(orthanc.stowUrl, auth), []);
      const outcome = expectRejected(await session.send(instanceOf(file)));
      expect(outcome).toMatchObject({ code: 'CANNOT_UNDERSTAND', remoteStatus: 0xc000, httpStatus: 400 });
      expect(outcome.message).toContain('Failure Reason C000');
      // The session goes on.
      expect(await session.send(instanceOf(small()))).toMatchObject({ kind: 'confirmed' });
    });

    it('without the Authorization header: retriable NOT_AUTHORIZED, saying to check the headers', async () => {
      session = await stow.open(stowDestination(orthanc.stowUrl), []);
      const error = await rejection(session.send(instanceOf(small())));
      expect(error).toMatchObject({ code: 'NOT_AUTHORIZED', retriable: true, httpStatus: 401 });
      expect(error.message).toMatch(/check the Authorization/);
    });

    it('a wrong URL (404): retriable WRONG_ADDRESS, saying to check the stowUrl', async () => {
      session = await stow.open(stowDestination(`${orthanc.base}/dicom-web/nowhere/studies`, auth), []);
      const error = await rejection(session.send(instanceOf(small())));
      expect(error).toMatchObject({ code: 'WRONG_ADDRESS', retriable: true, httpStatus: 404 });
      expect(error.message).toContain(`${orthanc.base}/dicom-web/nowhere/studies`);
    });

    it('a server that is down: retriable CONNECTION_FAILED', async () => {
      const port = await freePort();
      session = await stow.open(stowDestination(`http://127.0.0.1:${port}/dicom-web/studies`), []);
      const error = await rejection(session.send(instanceOf(small())));
      expect(error).toMatchObject({ code: 'CONNECTION_FAILED', retriable: true });
      expect(error.message).toMatch(/ECONNREFUSED/);
    });
  });

  describe('DIMSE', () => {
    it("C-STORE to Orthanc's DICOM port: stored as sent", async () => {
      const files = [small(), readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'))];
      const destination: DimseDestination = {
        id: 'orthanc',
        kind: 'dimse',
        aeTitle: orthanc.aeTitle,
        host: '127.0.0.1',
        port: orthanc.dicomPort,
        tls: false,
        maxConcurrency: 1,
      };
      session = await new DimseForwardSender().open(destination, files.map(instanceOf));
      for (const file of files) {
        expect(await session.send(instanceOf(file))).toEqual({
          kind: 'confirmed',
          transferSyntaxUid: instanceOf(file).transferSyntaxUid,
        });
        const stored = await orthanc.file(instanceOf(file).sopInstanceUid);
        expect(datasetBytes(stored!).equals(datasetBytes(file))).toBe(true);
      }
    });
  });
});
