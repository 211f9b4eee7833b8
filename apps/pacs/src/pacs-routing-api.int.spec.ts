import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

type Json = Record<string, unknown>;
interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly text: string;
  readonly body: Json;
}
interface Job {
  jobId: string;
  state: string;
  attempts: number;
  destinationId: string;
  trigger: string;
  scope: Json;
  lastError: { code: string; message: string } | null;
  confirmed: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PROBLEM = expect.stringMatching(/^application\/problem\+json/);

/** A small CT image of the study. */
function ctFile(study: string, series: string, sop: string, instanceNumber: number): Buffer {
  const elements = ctInstanceElements({
    studyInstanceUid: study,
    seriesInstanceUid: series,
    sopInstanceUid: sop,
    instanceNumber,
    rows: 16,
    columns: 16,
  });
  return encodePart10File({ elements, transferSyntaxUid: '1.2.840.10008.1.2.1' });
}

/**
 * A STOW-RS peer that stores nothing: it confirms every instance (200, no Failed SOP Sequence) and
 * records the headers of each request, so that the test sees what a destination's headers became.
 */
async function startStowPeer(): Promise<{ server: Server; url: string; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests.push(request.headers);
      response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/dicom-web/studies`, requests };
}

// The routing REST API of the all-in-one process (embedded): destinations and rules with their
// validation, secrets never shown and kept on a round trip, the dry run on a study stored by
// STOW-RS, manual forwards and the jobs they make (to a DIMSE port where nothing listens, so that
// they fail fast: 2 attempts 200 ms apart), tenant isolation; then a second process whose
// tenant is managed by a routing file.
describe('pacs process: the routing REST API', () => {
  let work: string;
  let app: AppProcess;
  let peer: Awaited<ReturnType<typeof startStowPeer>>;
  let deadPort: number;
  const study = generateUid();
  const series = generateUid();
  const sops = [generateUid(), generateUid()];
  const routing = (tenant = 'radiology') => `/tenants/${tenant}/routing`;

  async function request(base: AppProcess, path: string, method = 'GET', body?: unknown): Promise<Answer> {
    const response = await fetch(`${base.baseUrl}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text,
      body: text === '' ? {} : (JSON.parse(text) as Json),
    };
  }
  const api = (path: string, method?: string, body?: unknown) => request(app, path, method, body);

  async function jobOf(id: string, tenant = 'radiology'): Promise<Job> {
    const answer = await api(`${routing(tenant)}/jobs/${id}`);
    expect(answer.status).toBe(200);
    return answer.body['job'] as Job;
  }

  async function waitForJob(id: string, state: string): Promise<Job> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const job = await jobOf(id);
      if (job.state === state) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} is ${job.state}, not ${state}\n${app.stdout()}`);
      await sleep(100);
    }
  }

  const storescp = () => ({ kind: 'dimse', aeTitle: 'STORESCP', host: '127.0.0.1', port: deadPort });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-routing-api-'));
    peer = await startStowPeer();
    deadPort = await freePort();
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: [
          { id: 'radiology', aeTitles: ['RAD_PACS'] },
          { id: 'cardiology', aeTitles: ['CARD_PACS'] },
        ],
      }),
    );
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_TENANTS_FILE: tenantsFile,
      PACS_FORWARD_RETRY_BASE_MS: '200',
      PACS_FORWARD_MAX_ATTEMPTS: '2',
      // No study.stable during the test: its jobs would mix with the ones under test.
      PACS_STUDY_STABLE_SECONDS: '3600',
    });
    await waitForStatus(app, '/health/ready', 200, 30_000);
    const { contentType, body } = await stowBody(sops.map((sop, i) => ({ body: ctFile(study, series, sop, i + 1) })));
    const stored = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    expect(stored.status).toBe(200);
    await stored.arrayBuffer();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies/${study}/instances`);
      if (found.status === 200 && ((await found.json()) as unknown[]).length === sops.length) break;
      if (Date.now() > deadline) throw new Error(`the study was not indexed\n${app.stdout()}`);
      await sleep(100);
    }
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    await new Promise((resolve) => peer?.server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('creates, reads and replaces destinations, naming what is wrong', async () => {
    expect((await api(`${routing()}/destinations`)).body).toEqual({ revision: 0, destinations: [] });

    const created = await api(`${routing()}/destinations/storescp`, 'PUT', storescp());
    expect(created).toMatchObject({ status: 201, type: expect.stringMatching(/^application\/json/) });
    expect(created.body).toEqual({ id: 'storescp', ...storescp(), tls: false, maxConcurrency: 4 });
    const replaced = await api(`${routing()}/destinations/storescp`, 'PUT', { ...storescp(), id: 'storescp' });
    expect(replaced.status).toBe(200);

    const badPort = await api(`${routing()}/destinations/storescp`, 'PUT', { ...storescp(), port: 70000 });
    expect(badPort).toMatchObject({ status: 400, type: PROBLEM });
    expect(badPort.body).toMatchObject({
      status: 400,
      detail: 'invalid destination: destination.port: expected an integer from 1 to 65535 (got 70000)',
      problems: ['destination.port: expected an integer from 1 to 65535 (got 70000)'],
    });
    const badKind = await api(`${routing()}/destinations/x`, 'PUT', { kind: 'dimze' });
    expect(badKind.body['problems']).toEqual(['destination.kind: expected kind "dimse" or "dicomweb" (got "dimze")']);
    const otherId = await api(`${routing()}/destinations/storescp`, 'PUT', { ...storescp(), id: 'other' });
    expect(otherId.body['problems']).toEqual(['destination.id: "other" is not the id of the path, "storescp"']);
    const notJson = await fetch(`${app.baseUrl}${routing()}/destinations/x`, { method: 'PUT', body: 'kind=dimse' });
    expect(notJson.status).toBe(415);
    await notJson.arrayBuffer();
    const malformed = await fetch(`${app.baseUrl}${routing()}/destinations/x`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"kind": "dimse",',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await malformed.json()) as { detail: string }).detail).toMatch(/not valid JSON/);

    expect(await api(`${routing()}/destinations/nowhere`)).toMatchObject({
      status: 404,
      type: PROBLEM,
      body: { detail: 'no destination "nowhere"' },
    });
    // Nothing of the refused ones was saved.
    const list = await api(`${routing()}/destinations`);
    expect(list.body).toMatchObject({ revision: 2, destinations: [{ id: 'storescp' }] });
  });

  it('never shows the header values of a DICOMweb destination, and keeps them on a round trip', async () => {
    const orthanc = {
      kind: 'dicomweb',
      stowUrl: peer.url,
      headers: { Authorization: 'Bearer s3cret', 'X-Api-Key': 'k3y' },
    };
    const created = await api(`${routing()}/destinations/orthanc`, 'PUT', orthanc);
    expect(created.status).toBe(201);
    expect(created.body['headers']).toEqual({ Authorization: '***', 'X-Api-Key': '***' });
    const listed = await api(`${routing()}/destinations`);
    const shown = await api(`${routing()}/destinations/orthanc`);
    for (const text of [created.text, listed.text, shown.text]) {
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('k3y');
    }
    // GET, edit, PUT back: the secrets stay; a "***" for a header never stored is refused.
    const edited = {
      ...shown.body,
      maxConcurrency: 2,
      headers: { ...(shown.body['headers'] as Json), 'X-Api-Key': 'k4y' },
    };
    const put = await api(`${routing()}/destinations/orthanc`, 'PUT', edited);
    expect(put).toMatchObject({ status: 200, body: { maxConcurrency: 2, headers: { Authorization: '***' } } });
    const unknown = await api(`${routing()}/destinations/orthanc`, 'PUT', {
      ...edited,
      headers: { 'X-Token': '***' },
    });
    expect(unknown.body['problems']).toEqual([
      'destination.headers["X-Token"]: "***" keeps the stored value, but the stored destination has no such header: send the value',
    ]);
    // What the destination receives proves it.
    const forward = await api(`${routing()}/forward`, 'POST', { destinationId: 'orthanc', studyInstanceUid: study });
    expect(forward.status).toBe(202);
    const job = await waitForJob((forward.body['job'] as Job).jobId, 'completed');
    expect(job).toMatchObject({ confirmed: 2, trigger: 'manual', lastError: null });
    expect(peer.requests).toHaveLength(2);
    expect(peer.requests[0]).toMatchObject({ authorization: 'Bearer s3cret', 'x-api-key': 'k4y' });
  });

  it('creates, reads and deletes rules, naming a bad regex, an unknown keyword or destination', async () => {
    const bad = await api(`${routing()}/rules/bad`, 'PUT', {
      trigger: 'instance',
      condition: {
        all: [
          { attribute: 'Modalty', equals: 'CT' },
          { attribute: 'StudyDescription', regex: '(CT' },
        ],
      },
      destinations: ['storescpp'],
    });
    expect(bad).toMatchObject({ status: 400, type: PROBLEM });
    expect(bad.body['problems']).toEqual([
      expect.stringMatching(/^rule\.condition\.all\[0\]\.attribute: unknown DICOM keyword "Modalty"/),
      expect.stringMatching(/^rule\.condition\.all\[1\]\.regex: Invalid regular expression/),
      'rule.destinations[0]: unknown destination "storescpp" (known: "storescp", "orthanc")',
    ]);
    expect(bad.body['detail']).toMatch(/^invalid rule: rule\.condition\.all\[0\]\.attribute: unknown DICOM keyword/);
    const slow = await api(`${routing()}/rules/slow`, 'PUT', {
      trigger: 'instance',
      condition: { attribute: 'PatientID', regex: '(a+)+' },
      destinations: ['storescp'],
    });
    expect(slow.body['problems']).toEqual([expect.stringMatching(/^rule\.condition\.regex: the repeated group/)]);

    const ct = {
      trigger: 'study-stable',
      priority: 10,
      condition: { attribute: 'Modality', equals: 'CT' },
      destinations: ['storescp'],
    };
    expect(await api(`${routing()}/rules/ct-to-storescp`, 'PUT', ct)).toMatchObject({
      status: 201,
      body: { id: 'ct-to-storescp', enabled: true, ...ct },
    });
    const mr = {
      trigger: 'study-stable',
      condition: {
        all: [
          { attribute: 'PatientID', present: true },
          { attribute: '00080060', equals: 'MR' },
        ],
      },
      destinations: ['orthanc'],
      modify: { set: { InstitutionName: 'General Hospital' } },
    };
    const created = await api(`${routing()}/rules/mr-to-orthanc`, 'PUT', mr);
    expect(created).toMatchObject({
      status: 201,
      body: { modify: { set: { InstitutionName: ['General Hospital'] } } },
    });
    expect((await api(`${routing()}/rules/mr-to-orthanc`)).body).toEqual(created.body);
    expect((await api(`${routing()}/rules`)).body).toMatchObject({
      rules: [{ id: 'ct-to-storescp' }, { id: 'mr-to-orthanc' }],
    });
    expect((await api(`${routing()}/rules/nope`)).status).toBe(404);
    expect(await api(`${routing()}/rules/nope`, 'DELETE')).toMatchObject({ status: 404, type: PROBLEM });

    const inUse = await api(`${routing()}/destinations/storescp`, 'DELETE');
    expect(inUse).toMatchObject({
      status: 409,
      type: PROBLEM,
      body: {
        detail: 'destination "storescp" is used by rule "ct-to-storescp": change or delete it first',
        rules: ['ct-to-storescp'],
      },
    });

    const temporary = await api(`${routing()}/rules/temporary`, 'PUT', { ...ct, destinations: ['orthanc'] });
    expect(temporary.status).toBe(201);
    expect(await api(`${routing()}/rules/temporary`, 'DELETE')).toMatchObject({ status: 204, text: '' });
    expect((await api(`${routing()}/rules/temporary`)).status).toBe(404);
  });

  it('dry-runs the rules on a stored study, with the path of the condition that failed', async () => {
    const stable = await api(`${routing()}/rules/dry-run`, 'POST', { studyInstanceUid: study });
    expect(stable).toMatchObject({ status: 200, type: expect.stringMatching(/^application\/json/) });
    expect(stable.body).toEqual({
      studyInstanceUid: study,
      trigger: 'study-stable',
      rules: [
        { ruleId: 'ct-to-storescp', matched: true, destinations: ['storescp'] },
        {
          ruleId: 'mr-to-orthanc',
          matched: false,
          failed: { path: 'condition.all[1]', reason: 'Modality equals "MR" (got "CT")' },
          destinations: ['orthanc'],
        },
      ],
    });

    const instanceRule = {
      trigger: 'instance',
      condition: { attribute: 'SOPInstanceUID', equals: sops[1] },
      destinations: ['orthanc'],
    };
    expect((await api(`${routing()}/rules/second-instance`, 'PUT', instanceRule)).status).toBe(201);
    const perInstance = await api(`${routing()}/rules/dry-run`, 'POST', {
      studyInstanceUid: study,
      trigger: 'instance',
    });
    expect(perInstance.body).toEqual({
      studyInstanceUid: study,
      trigger: 'instance',
      instances: 2,
      truncated: false,
      rules: [
        {
          ruleId: 'ct-to-storescp',
          matched: false,
          matchedInstances: 0,
          skipped: 'other-trigger',
          destinations: ['storescp'],
        },
        {
          ruleId: 'mr-to-orthanc',
          matched: false,
          matchedInstances: 0,
          skipped: 'other-trigger',
          destinations: ['orthanc'],
        },
        {
          ruleId: 'second-instance',
          matched: true,
          matchedInstances: 1,
          failed: {
            sopInstanceUid: sops[0],
            path: 'condition',
            reason: `SOPInstanceUID equals "${sops[1]}" (got "${sops[0]}")`,
          },
          destinations: ['orthanc'],
        },
      ],
    });
    expect((await api(`${routing()}/rules/second-instance`, 'DELETE')).status).toBe(204);

    expect(await api(`${routing()}/rules/dry-run`, 'POST', { studyInstanceUid: '1.2.3.4' })).toMatchObject({
      status: 404,
      body: { detail: 'no study 1.2.3.4 is stored for tenant "radiology"' },
    });
    const bad = await api(`${routing()}/rules/dry-run`, 'POST', { studyInstanceUid: study, trigger: 'stable' });
    expect(bad).toMatchObject({
      status: 400,
      body: { problems: ['trigger: expected "instance" or "study-stable" (got "stable")'] },
    });
  });

  it('forwards by hand, fails the job when the destination is down, retries and cancels it', async () => {
    expect(
      await api(`${routing()}/forward`, 'POST', { destinationId: 'nowhere', studyInstanceUid: study }),
    ).toMatchObject({ status: 404, type: PROBLEM, body: { detail: 'no destination "nowhere"' } });
    expect(
      await api(`${routing()}/forward`, 'POST', { destinationId: 'storescp', studyInstanceUid: '1.2.3.4' }),
    ).toMatchObject({ status: 404, body: { detail: 'nothing stored under study 1.2.3.4' } });
    const badUid = await api(`${routing()}/forward`, 'POST', { destinationId: 'storescp', studyInstanceUid: '1.02' });
    expect(badUid).toMatchObject({ status: 400, body: { problems: [expect.stringMatching(/^studyInstanceUid: /)] } });

    const forward = await api(`${routing()}/forward`, 'POST', {
      destinationId: 'storescp',
      studyInstanceUid: study,
      seriesInstanceUid: series,
    });
    expect(forward.status).toBe(202);
    const created = forward.body['job'] as Job;
    expect(created).toMatchObject({
      state: 'pending',
      destinationId: 'storescp',
      trigger: 'manual',
      scope: { studyInstanceUid: study, seriesInstanceUid: series },
    });
    // Not failed yet: nothing to retry.
    expect(await api(`${routing()}/jobs/${created.jobId}/retry`, 'POST')).toMatchObject({ status: 409, type: PROBLEM });

    const failed = await waitForJob(created.jobId, 'failed');
    expect(failed).toMatchObject({ attempts: 2, lastError: { code: 'CONNECTION_FAILED' } });
    expect(failed.lastError!.message).toMatch(new RegExp(String(deadPort)));
    const listed = await api(`${routing()}/jobs?state=failed&destination=storescp`);
    expect(listed.body).toEqual({ jobs: [expect.objectContaining({ jobId: created.jobId })], next: null });
    expect((await api(`${routing()}/jobs?study=${study}`)).body['jobs']).toHaveLength(2);
    const firstPage = await api(`${routing()}/jobs?limit=1`);
    expect(firstPage.body).toMatchObject({ jobs: [{ jobId: created.jobId }], next: expect.any(String) });
    const secondPage = await api(
      `${routing()}/jobs?limit=1&after=${encodeURIComponent(String(firstPage.body['next']))}`,
    );
    expect(secondPage.body).toMatchObject({ jobs: [{ trigger: 'manual', destinationId: 'orthanc' }], next: null });
    expect((await api(`${routing()}/jobs?state=done&limit=0`)).body['problems']).toHaveLength(2);
    expect((await api(`${routing()}/destinations/storescp/status`)).body).toEqual({
      destinationId: 'storescp',
      pending: 0,
      running: 0,
      failed: 1,
      oldestPendingAt: null,
    });
    expect(await api(`${routing()}/jobs/${created.jobId}/cancel`, 'POST')).toMatchObject({
      status: 409,
      body: { detail: `job "${created.jobId}" is failed: only a pending or running job is cancelled` },
    });

    const retried = await api(`${routing()}/jobs/${created.jobId}/retry`, 'POST');
    expect(retried).toMatchObject({
      status: 200,
      body: { job: { state: 'pending', attempts: 0, lastError: { code: 'CONNECTION_FAILED' } } },
    });
    const cancelled = await api(`${routing()}/jobs/${created.jobId}/cancel`, 'POST');
    expect(cancelled).toMatchObject({ status: 200, body: { job: { state: 'cancelled' } } });
    expect((await api(`${routing()}/jobs/${created.jobId}/cancel`, 'POST')).status).toBe(409);
    expect((await api(`${routing()}/jobs?state=cancelled`)).body['jobs']).toEqual([
      expect.objectContaining({ jobId: created.jobId }),
    ]);
    expect((await api(`${routing()}/jobs/no-such-job`)).status).toBe(404);
  }, 30_000);

  it("keeps one tenant's routing and jobs from another", async () => {
    const { jobs } = (await api(`${routing()}/jobs`)).body as { jobs: Job[] };
    expect(jobs.length).toBeGreaterThan(0);
    const other = routing('cardiology');
    expect((await api(`${other}/destinations`)).body).toEqual({ revision: 0, destinations: [] });
    expect((await api(`${other}/rules`)).body).toEqual({ revision: 0, rules: [] });
    expect((await api(`${other}/jobs`)).body).toEqual({ jobs: [], next: null });
    expect((await api(`${other}/destinations/storescp`)).status).toBe(404);
    expect((await api(`${other}/destinations/storescp/status`)).status).toBe(404);
    for (const job of jobs) {
      expect((await api(`${other}/jobs/${job.jobId}`)).status).toBe(404);
      expect((await api(`${other}/jobs/${job.jobId}/retry`, 'POST')).status).toBe(404);
      expect((await api(`${other}/jobs/${job.jobId}/cancel`, 'POST')).status).toBe(404);
    }
    expect((await api(`${other}/forward`, 'POST', { destinationId: 'storescp', studyInstanceUid: study })).status).toBe(
      404,
    );
    expect((await api(`${other}/rules/dry-run`, 'POST', { studyInstanceUid: study })).status).toBe(404);
    expect(await api('/tenants/Radiology_1/routing/destinations')).toMatchObject({
      status: 400,
      type: PROBLEM,
      body: { detail: expect.stringMatching(/^"Radiology_1" is not a tenant id/) },
    });
  });

  it('deletes a destination once no rule sends to it, cancelling its open jobs', async () => {
    const forward = await api(`${routing()}/forward`, 'POST', { destinationId: 'storescp', studyInstanceUid: study });
    const job = forward.body['job'] as Job;
    expect((await api(`${routing()}/rules/ct-to-storescp`, 'DELETE')).status).toBe(204);
    expect(await api(`${routing()}/destinations/storescp`, 'DELETE')).toMatchObject({ status: 204, text: '' });
    expect((await api(`${routing()}/destinations/storescp`)).status).toBe(404);
    expect((await jobOf(job.jobId)).state).toBe('cancelled');
    // Its dead letters stay to be looked at; a retry would wait for ever: refused.
    const retry = await api(`${routing()}/jobs/${job.jobId}/retry`, 'POST');
    expect(retry).toMatchObject({
      status: 409,
      body: { detail: `job "${job.jobId}" sends to destination "storescp", which is gone` },
    });
  });

  it('serves the configuration of a routing file and refuses to change it, naming the file', async () => {
    const dir = join(work, 'file');
    const routingFile = join(dir, 'routing.json');
    const file = {
      tenants: {
        radiology: {
          destinations: [
            { id: 'archive', kind: 'dimse', aeTitle: 'ARCHIVE', host: 'archive.local', port: 104 },
            { id: 'orthanc', kind: 'dicomweb', stowUrl: peer.url, headers: { Authorization: 'Basic c2VjcmV0' } },
          ],
          rules: [
            {
              id: 'ct-to-archive',
              trigger: 'instance',
              condition: { attribute: 'Modality', equals: 'CT' },
              destinations: ['archive'],
            },
          ],
        },
      },
    };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(routingFile, JSON.stringify(file));
    const managed = startApp('pacs', {
      PACS_DATA_DIR: join(dir, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_ROUTING_FILE: routingFile,
    });
    try {
      await waitForStatus(managed, '/health/ready', 200, 30_000);
      const destinations = await request(managed, `${routing()}/destinations`);
      expect(destinations.body).toEqual({
        revision: 1,
        managedBy: routingFile,
        destinations: [
          { ...file.tenants.radiology.destinations[0], tls: false, maxConcurrency: 4 },
          { ...file.tenants.radiology.destinations[1], headers: { Authorization: '***' }, maxConcurrency: 4 },
        ],
      });
      expect(destinations.text).not.toContain('c2VjcmV0');
      expect((await request(managed, `${routing()}/rules/ct-to-archive`)).body).toMatchObject({
        id: 'ct-to-archive',
        enabled: true,
        priority: 0,
      });
      const detail = `the routing of tenant "radiology" is managed by ${routingFile}: change it there and restart`;
      for (const [path, method, body] of [
        ['/destinations/archive', 'PUT', file.tenants.radiology.destinations[0]],
        ['/destinations/orthanc', 'DELETE', undefined],
        ['/rules/ct-to-archive', 'PUT', file.tenants.radiology.rules[0]],
        ['/rules/ct-to-archive', 'DELETE', undefined],
      ] as const) {
        expect(await request(managed, `${routing()}${path}`, method, body)).toMatchObject({
          status: 409,
          type: PROBLEM,
          body: { detail, file: routingFile, code: 'MANAGED_BY_FILE' },
        });
      }
      // Another tenant is not the file's.
      const other = await request(managed, `${routing('cardiology')}/destinations/archive`, 'PUT', {
        kind: 'dimse',
        aeTitle: 'ARCHIVE',
        host: 'archive.local',
        port: 104,
      });
      expect(other.status).toBe(201);
    } finally {
      managed.child.kill('SIGTERM');
      await managed.exited();
    }
  }, 60_000);
});
