import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const VIEWER_KEY = 'viewer-key-0123456789';
const TECHNOLOGIST_KEY = 'technologist-key-0123456789';

// The all-in-one process with API keys (PACS_API_KEYS_FILE): every DICOMweb route asks who calls.
describe('pacs process with API keys', () => {
  let work: string;
  let app: AppProcess;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-identity-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [{ id: 'oncology', aeTitles: ['ONCO'] }] }));
    const keysFile = join(work, 'keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({
        keys: [
          { name: 'viewer-1', sha256: sha256(VIEWER_KEY), grants: { default: ['viewer'] } },
          { name: 'modality-1', sha256: sha256(TECHNOLOGIST_KEY), grants: { default: ['technologist'] } },
        ],
      }),
    );
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
      PACS_API_KEYS_FILE: keysFile,
    });
    // The probes are public.
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  const qido = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}${path}`, { headers: { Accept: 'application/dicom+json', ...headers } });

  async function stow(headers: Record<string, string>): Promise<Response> {
    const { contentType, body } = await stowBody([
      {
        body: ctInstanceFile({
          studyInstanceUid: generateUid(),
          seriesInstanceUid: generateUid(),
          sopInstanceUid: generateUid(),
          rows: 4,
          columns: 4,
          pixelData: Buffer.alloc(4 * 4 * 2, 1),
        }),
      },
    ]);
    return fetch(`${app.baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json', ...headers },
      body,
    });
  }

  it('answers 401 problem+json with a Bearer challenge to a request without a key or with a wrong one', async () => {
    const missing = await qido('/dicomweb/studies');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await missing.json()).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      detail: expect.stringMatching(/^missing credentials: send the API key as "Authorization: Bearer <key>"/),
    });
    const wrong = await qido('/dicomweb/studies', { Authorization: 'Bearer not-a-key' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ detail: expect.stringMatching(/^unknown key/) });
  });

  it('lets a viewer of the default tenant search it, and lets the metrics and probes answer anybody', async () => {
    const search = await qido('/dicomweb/studies', { Authorization: `Bearer ${VIEWER_KEY}` });
    expect(search.status).toBe(200);
    expect(search.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
    expect(Array.isArray(await search.json())).toBe(true);
    expect((await qido('/dicomweb/studies', { 'X-API-Key': VIEWER_KEY })).status).toBe(200);
    expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(200);
    expect((await fetch(`${app.baseUrl}/health/live`)).status).toBe(200);
  });

  it('refuses a STOW-RS of a viewer with 403 naming the roles, and takes that of a technologist', async () => {
    const refused = await stow({ Authorization: `Bearer ${VIEWER_KEY}` });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      status: 403,
      detail: 'POST /dicomweb/studies needs one of the roles technologist, radiologist on tenant "default"',
    });
    const stored = await stow({ 'X-API-Key': TECHNOLOGIST_KEY });
    expect(stored.status).toBe(200);
    await stored.arrayBuffer();
  });

  it('answers 404 for a tenant the key has no grant on, as for one that does not exist', async () => {
    const oncology = await qido('/tenants/oncology/dicomweb/studies', { Authorization: `Bearer ${VIEWER_KEY}` });
    expect(oncology.status).toBe(404);
    expect(oncology.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const detail = ((await oncology.json()) as { detail: string }).detail;
    expect(detail).toBe('no tenant "oncology"');
    // The controller's own answer for a tenant nobody configured reads the same.
    expect(detail.replace('oncology', 'x')).toBe('no tenant "x"');
  });

  it('logs each refusal, and publishes its audit records on the event log', async () => {
    // The log is written asynchronously: wait for the last refusal's line to reach the pipe.
    const logged = () =>
      app
        .stdout()
        .trim()
        .split('\n')
        // A line still being written is left for the next look.
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
    for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
      if (logged().some((line) => line['msg'] === 'access refused' && line['tenantId'] === 'oncology')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = logged();
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'pacs started', access: '2 API key(s)' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'access refused', principal: 'viewer-1', tenantId: 'oncology' }),
    );
    expect(lines.filter((line) => line['msg'] === 'audit event not published')).toEqual([]);
    expect(lines.filter((line) => line['msg'] === 'route without access rule: administrators only')).toEqual([]);
  });
});
