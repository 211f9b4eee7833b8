import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RequestMethod, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { renderAuditMessage } from '@pacs/audit';
import { validateAuditXml } from '@pacs/audit/testing';
import { AUDIT_STORE, type AuditRecord, type AuditStore } from '@pacs/audit-store';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import { accessRuleOf, auditedRouteOf } from '@pacs/identity';
import { DimseGatewayService } from '@pacs/ingest';
import { runApp } from '@pacs/platform';
import { freePort, stowBody, startMoveDestination } from '@pacs/testing';
import { PACS_APP_OPTIONS } from './pacs-app.options';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };

// Every HTTP route and every DIMSE service of the all-in-one app leaves a record on the audit trail:
// the test finds the routes in the running app (any new route is walked too, and fails the test
// until it is audited), calls each, and waits for its record in the audit store. Only the public
// probes (health, metrics: polled every few seconds by the orchestrator, no data) are not audited.

/** The EventID of the records the services write themselves (the other routes declare @AuditedRoute). */
const SELF_AUDITED: Record<string, string> = {
  QidoController: '110112',
  WadoRetrieveController: '110104',
  WadoRenderedController: '110104',
  WadoPixelsController: '110104',
  WadoUriController: '110104',
  StowController: '110104',
  AuditController: '110101',
};
const DECLARED: Record<string, string> = { query: '110112', change: '110113', transfer: '110102' };
const PUBLIC_ROUTES = ['GET /health/live', 'GET /health/ready', 'GET /metrics'];
/** What each DIMSE service is recorded as (association log-on for C-ECHO, which moves no data). */
const DIMSE_RECORDS: Record<string, { code: string; action?: string }> = {
  'C-ECHO': { code: '110114' },
  'C-STORE': { code: '110104', action: 'C' },
  'C-FIND': { code: '110112' },
  'C-GET': { code: '110104', action: 'R' },
  'C-MOVE': { code: '110104', action: 'R' },
};

interface Route {
  readonly method: string;
  readonly path: string;
  readonly controller: Type;
  readonly handler: object;
}

/** The routes of the running app, from the controllers' metadata. */
function routesOf(app: INestApplication): Route[] {
  const routes = new Map<string, Route>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type;
      const prototype = controller.prototype as Record<string, unknown>;
      const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]!;
        for (const base of bases) {
          for (const path of [paths].flat()) {
            const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
            routes.set(`${method} ${full}`, { method, path: full, controller, handler });
          }
        }
      }
    }
  }
  return [...routes.values()];
}

describe('pacs: every HTTP route and DIMSE service is audited', () => {
  let work: string;
  let app: INestApplication;
  let store: AuditStore;
  let baseUrl: string;
  let dicomPort: string;
  let storescp: ReturnType<typeof startTool>;
  let storePort: number;
  const study = generateUid();
  const series = generateUid();
  const instance = generateUid();
  const file = ctInstanceFile({
    studyInstanceUid: study,
    seriesInstanceUid: series,
    sopInstanceUid: instance,
    patientId: 'WALK-1',
    patientName: 'Walk^Will',
    rows: 8,
    columns: 8,
    pixelData: Buffer.alloc(128, 7),
  });

  async function lastSeq(tenantId: string): Promise<number> {
    let seq = 0;
    for (;;) {
      const page = await store.range(tenantId, seq + 1, 1000);
      if (page.length === 0) return seq;
      seq = page.at(-1)!.seq;
    }
  }

  /** Waits for a record after `after` in the tenant's trail that passes `test`. */
  async function awaitRecord(tenantId: string, after: number, test: (r: AuditRecord) => boolean, what: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = (await store.range(tenantId, after + 1, 1000)).find(test);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = (await store.range(tenantId, after + 1, 1000)).map(
          (r) => `${r.event.event.code} ${r.event.event.meaning}`,
        );
        throw new Error(`no audit record for ${what} within 10 s (seen: ${JSON.stringify(seen)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    for (const name of ['echoscu', 'storescu', 'findscu', 'getscu', 'movescu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-audit-walk-'));
    const peer = await startMoveDestination(work);
    storescp = peer.storescp;
    storePort = peer.port;
    const tenantsFile = peer.tenantsFile;
    const httpPort = await freePort();
    dicomPort = String(await freePort());
    app = await runApp({
      ...PACS_APP_OPTIONS,
      env: {
        ...process.env,
        PACS_DATA_DIR: join(work, 'data'),
        PACS_HTTP_PORT: String(httpPort),
        PACS_DICOM_PORT: dicomPort,
        PACS_TENANTS_FILE: tenantsFile,
        PACS_LOG_LEVEL: 'warn',
      },
    });
    baseUrl = `http://127.0.0.1:${httpPort}`;
    store = app.get<AuditStore>(AUDIT_STORE);
    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    writeFileSync(join(outbox, '1.dcm'), file);
    // The study in both tenants: the default one (`/dicomweb`) and radiology (`/tenants/radiology`).
    for (const calledAe of ['PACS', 'RAD_PACS']) {
      await run('storescu', ['-aet', 'CT1', '-aec', calledAe, '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);
    }
    const deadline = Date.now() + 20_000;
    for (const prefix of ['', '/tenants/radiology']) {
      for (;;) {
        const response = await fetch(`${baseUrl}${prefix}/dicomweb/studies/${study}/instances`);
        if (response.status === 200 && ((await response.json()) as unknown[]).length === 1) break;
        if (Date.now() > deadline) throw new Error('the study was not indexed within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 60_000);

  afterAll(async () => {
    storescp?.child.kill();
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('HTTP: each route called leaves its record (Query, Instances Transferred, Security Alert, ...)', async () => {
    const routes = routesOf(app);
    const undecided: string[] = [];
    const walked: Array<{ route: Route; code: string }> = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const rule = accessRuleOf(route.handler, route.controller);
      const declared = auditedRouteOf(route.handler, route.controller);
      const code = declared ? DECLARED[declared.kind] : SELF_AUDITED[route.controller.name];
      if (rule?.kind === 'public') {
        if (!PUBLIC_ROUTES.includes(key)) undecided.push(`${key}: public, but not a probe`);
      } else if (!code) {
        undecided.push(`${key}: no @AuditedRoute and no record of its own`);
      } else {
        walked.push({ route, code });
      }
    }
    expect(undecided).toEqual([]);
    expect(walked.length).toBeGreaterThan(40);

    // Writes first (what the reads then find), the job actions after the forward that makes the job, deletes last.
    const rank = ({ route }: { route: Route }) =>
      route.method === 'DELETE'
        ? 9
        : route.path.includes('/jobs/:id/')
          ? 5
          : route.method === 'GET'
            ? 4
            : route.method === 'POST'
              ? 2
              : 1;
    walked.sort((a, b) => rank(a) - rank(b));

    const ids: Record<string, string> = { job: 'none', reindex: 'none' };
    const failures: string[] = [];
    for (const { route, code } of walked) {
      const tenantId = route.path.includes('/tenants/:tenant/') ? 'radiology' : 'default';
      const url = concreteUrl(route.path, ids);
      const request = requestOf(route, url);
      const before = await lastSeq(tenantId);
      const response = await fetch(`${baseUrl}${url}`, request);
      const text = await response.text();
      if (response.status >= 500) failures.push(`${route.method} ${url}: ${response.status} ${text.slice(0, 200)}`);
      if (route.path.endsWith('/forward') && response.ok) ids['job'] = (JSON.parse(text) as { id: string }).id;
      if (route.path.endsWith('/index/attributes') && route.method === 'PUT' && response.ok) {
        ids['reindex'] = (JSON.parse(text) as { reindexJob?: { id: string } }).reindexJob?.id ?? 'none';
      }
      await awaitRecord(
        tenantId,
        before,
        (r) => r.event.event.code === code,
        `${route.method} ${url} (${response.status}), EventID ${code}`,
      ).catch((error: Error) => failures.push(error.message));
    }
    expect(failures).toEqual([]);
  }, 120_000);

  function concreteUrl(path: string, ids: Record<string, string>): string {
    const concrete = path
      .replace(':tenant', 'radiology')
      .replace(':study', study)
      .replace(':series', series)
      .replace(':instance', instance)
      .replace(':frames', '1')
      .replace('/*', '/7FE00010')
      .replace(':seq', '1')
      .replace(':job', ids['reindex']!)
      .replace(/destinations\/:id/, 'destinations/storescp')
      .replace(/rules\/:id/, 'rules/never')
      .replace(/jobs\/:id/, `jobs/${ids['job']!}`);
    if (concrete.endsWith('/wado')) {
      return `${concrete}?requestType=WADO&studyUID=${study}&seriesUID=${series}&objectUID=${instance}`;
    }
    return concrete;
  }

  function requestOf(route: Route, url: string): RequestInit {
    const json = (body: unknown): RequestInit => ({
      method: route.method,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (route.method === 'PUT' && url.includes('/destinations/')) {
      return json({ name: 'Reading room', kind: 'dimse', aeTitle: 'STORESCP', host: '127.0.0.1', port: storePort });
    }
    if (route.method === 'PUT' && url.includes('/rules/')) {
      return json({
        trigger: 'instance',
        condition: { attribute: 'Modality', equals: 'XX' },
        destinations: ['storescp'],
      });
    }
    if (route.method === 'PUT' && url.endsWith('/index/attributes')) {
      return json({ attributes: [{ attribute: 'ProtocolName', level: 'series' }] });
    }
    if (url.endsWith('/dry-run')) return json({ studyInstanceUid: study });
    if (url.endsWith('/forward')) return json({ destinationId: 'storescp', studyInstanceUid: study });
    if (route.method === 'POST' && url.includes('/studies')) return { method: 'POST' };
    return { method: route.method };
  }

  it('HTTP: STOW-RS, with a body, is recorded as the instances it stored', async () => {
    const { contentType, body } = await stowBody([{ body: file }]);
    const before = await lastSeq('default');
    const response = await fetch(`${baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
    });
    expect(response.status).toBe(200);
    const record = await awaitRecord(
      'default',
      before,
      (r) => r.event.event.code === '110104' && r.event.action === 'C',
      'STOW-RS',
    );
    expect(record.event.objects.map((o) => o.id)).toEqual(['WALK-1', study]);
  });

  it('DIMSE: each service the SCP provides leaves its record', async () => {
    const gateway = app.get(DimseGatewayService);
    expect([...gateway.services].sort()).toEqual(Object.keys(DIMSE_RECORDS).sort());
    const outbox = join(work, 'outbox');
    const query = ['-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${study}`];
    // Options, then the peer, then the files to send (storescu wants them last).
    const calls: Record<string, [string, string[], string[]]> = {
      'C-ECHO': ['echoscu', ['-aet', 'WALK_ECHO'], []],
      'C-STORE': ['storescu', ['-aet', 'WALK_STORE'], ['+sd', outbox]],
      'C-FIND': ['findscu', ['-aet', 'WALK_FIND', '-S', ...query], []],
      'C-GET': ['getscu', ['-aet', 'WALK_GET', '-S', '-od', join(work, 'got'), ...query], []],
      'C-MOVE': ['movescu', ['-aet', 'WALK_MOVE', '-aem', 'STORESCP', '-S', ...query], []],
    };
    mkdirSync(join(work, 'got'));
    for (const service of gateway.services) {
      const [tool, args, files] = calls[service]!;
      const callingAe = args[1]!;
      const before = await lastSeq('radiology');
      await run(tool, [...args, '-aec', 'RAD_PACS', '127.0.0.1', dicomPort, ...files], dcmtk);
      const expected = DIMSE_RECORDS[service]!;
      await awaitRecord(
        'radiology',
        before,
        (r) =>
          r.event.event.code === expected.code &&
          (expected.action === undefined || r.event.action === expected.action) &&
          r.event.participants.some((p) => p.userId === callingAe),
        `${service} from ${callingAe}`,
      );
    }
  }, 60_000);

  it('every record written meanwhile is a valid DICOM audit message (PS3.15 A.5.1 schema)', async () => {
    const records = [...(await store.range('default', 1, 1000)), ...(await store.range('radiology', 1, 1000))];
    const codes = new Set(records.map((r) => r.event.event.code));
    for (const code of ['110100', '110101', '110102', '110104', '110112', '110113', '110114'])
      expect(codes).toContain(code);
    const validation = await validateAuditXml(
      records.map((r) => renderAuditMessage(r.event, { auditSourceId: `test/${r.event.source}` })),
    );
    expect(validation.errors).toEqual([]);
    expect(validation.valid).toBe(true);
  }, 60_000);
});
