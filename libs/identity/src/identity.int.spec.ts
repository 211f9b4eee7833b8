import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';
import { TestOidcProvider } from './testing';

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
      detail: expect.stringMatching(
        /^missing credentials: send the OIDC access token or the API key as "Authorization: Bearer <token or key>"/,
      ),
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

// The all-in-one process with the hospital's OIDC provider (PACS_OIDC_ISSUER): users call with
// their access tokens, their roles per tenant in the token, and the audit trail names them.
describe('pacs process with an OIDC provider', () => {
  const provider = new TestOidcProvider();
  let work: string;
  let app: AppProcess;

  beforeAll(async () => {
    await provider.start();
    work = mkdtempSync(join(tmpdir(), 'pacs-oidc-'));
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_OIDC_ISSUER: provider.issuer,
      PACS_OIDC_AUDIENCE: provider.audience,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    await provider.stop();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  const call = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${app.baseUrl}${path}`, {
      ...init,
      headers: { Accept: 'application/dicom+json', ...init.headers, Authorization: `Bearer ${token}` },
    });

  it("serves each user by the roles of its token, and records what it did under the user's name", async () => {
    const technologist = await provider.token({
      sub: 'u-17',
      preferred_username: 'tech.adams',
      pacs_roles: ['default:technologist'],
    });
    const viewer = await provider.token({ sub: 'u-23', preferred_username: 'dr.grey', pacs_roles: ['default:viewer'] });
    const auditor = await provider.token({
      sub: 'u-31',
      preferred_username: 'audit.lee',
      pacs_roles: ['default:auditor'],
    });

    const studyInstanceUid = generateUid();
    const { contentType, body } = await stowBody([
      {
        body: ctInstanceFile({
          studyInstanceUid,
          seriesInstanceUid: generateUid(),
          sopInstanceUid: generateUid(),
          rows: 4,
          columns: 4,
          pixelData: Buffer.alloc(4 * 4 * 2, 1),
        }),
      },
    ]);
    expect(
      (await call('/dicomweb/studies', viewer, { method: 'POST', headers: { 'Content-Type': contentType }, body }))
        .status,
    ).toBe(403);
    const stored = await call('/dicomweb/studies', technologist, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
    expect(stored.status).toBe(200);
    await stored.arrayBuffer();
    const search = await call(`/dicomweb/studies?StudyInstanceUID=${studyInstanceUid}`, viewer);
    expect(search.status).toBe(200);
    await search.arrayBuffer();
    const expired = await call('/dicomweb/studies', await provider.token({ sub: 'u-23' }, { expiresInS: -600 }));
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="pacs", error="invalid_token"');
    expect(await expired.json()).toMatchObject({ status: 401, detail: 'invalid token: the token has expired' });

    // The trail names the users: the login and the search of dr.grey, the store of tech.adams.
    type Found = {
      records: { event: { event: { code: string }; outcome: number; participants: { userId: string }[] } }[];
    };
    const recordsOf = async (user: string): Promise<Found['records']> => {
      const response = await call(`/audit/records?user=${user}&limit=100`, auditor, {
        headers: { Accept: 'application/json' },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as Found).records;
    };
    const deadline = Date.now() + 15_000;
    let grey: Found['records'] = [];
    let adams: Found['records'] = [];
    while (Date.now() < deadline) {
      [grey, adams] = await Promise.all([recordsOf('dr.grey'), recordsOf('tech.adams')]);
      const greyCodes = grey.map((r) => r.event.event.code);
      if (
        greyCodes.includes('110112') &&
        greyCodes.includes('110114') &&
        adams.some((r) => r.event.event.code === '110104')
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(grey.map((r) => [r.event.event.code, r.event.outcome]).sort()).toEqual(
      expect.arrayContaining([
        ['110113', 4], // the refused STOW-RS: Security Alert, Use of Restricted Function
        ['110114', 0], // the login
        ['110112', 0], // the search
      ]),
    );
    expect(adams.map((r) => [r.event.event.code, r.event.outcome])).toEqual(
      expect.arrayContaining([
        ['110114', 0],
        ['110104', 0],
      ]),
    );
  }, 60_000);

  it('says in its start line that users sign in through the provider', async () => {
    const started = app
      .stdout()
      .split('\n')
      .find((line) => line.includes('"msg":"pacs started"'));
    expect(JSON.parse(started ?? '{}')).toMatchObject({ access: `OIDC tokens of ${provider.issuer}` });
  });
});
