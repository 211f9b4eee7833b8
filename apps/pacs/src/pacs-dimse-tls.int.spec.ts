import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startApp, waitForStatus, type AppProcess } from '@pacs/testing';
import { selfSignedCertificate } from '@pacs/dimse/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 30_000 };

// DICOM TLS (PS3.15 B.1): with a certificate and key configured, the DIMSE listener speaks TLS only.
describe('pacs process: DIMSE over TLS', () => {
  let work: string;
  let app: AppProcess;
  let port: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-tls-'));
    const { certFile, keyFile } = selfSignedCertificate(work);
    port = await freePort();
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(port),
      PACS_DICOM_TLS_CERT: certFile,
      PACS_DICOM_TLS_KEY: keyFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('answers C-ECHO over TLS, trusting the configured certificate', async () => {
    await run(
      'echoscu',
      ['+tla', '+cf', join(work, 'cert.pem'), '-aet', 'MODALITY', '-aec', 'PACS', '127.0.0.1', String(port)],
      dcmtk,
    );
  });

  it('does not answer plain TCP on the TLS port', async () => {
    const plain = await run(
      'echoscu',
      ['-to', '5', '-ta', '5', '-aet', 'MODALITY', '-aec', 'PACS', '127.0.0.1', String(port)],
      dcmtk,
    ).then(
      () => 'succeeded',
      () => 'failed',
    );
    expect(plain).toBe('failed');
  });
});
