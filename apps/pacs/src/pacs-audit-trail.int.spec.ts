import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { validateAuditXml } from '@pacs/audit/testing';
import type { AuditRecord } from '@pacs/audit-store';
import type { AuditEvent } from '@pacs/contracts';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import { freePort, startApp, waitForStatus, startMoveDestination, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const KEYS = {
  viewer: 'viewer-radiology-key-0001',
  auditor: 'auditor-radiology-key-0001',
  cardiologyAuditor: 'auditor-cardiology-key-0001',
  siteAuditor: 'auditor-default-key-0001',
};
const CT = '1.2.840.10008.5.1.4.1.1.2';

type AuditView = AuditRecord & { readonly xml: string };

/** A record, in brief: what happened, to whom, how it went. */
function brief(event: AuditEvent): string {
  const types = (event.eventTypes ?? []).map((t) => t.meaning).join(',');
  const requestor = event.participants.find((p) => p.isRequestor)?.userId ?? '-';
  return `${event.event.meaning}${types ? `/${types}` : ''} ${event.action} ${event.outcome} by ${requestor}`;
}

// The acceptance scenario of the audit trail, in the all-in-one process with API keys: a study sent
// with storescu, searched with QIDO-RS, an instance retrieved with WADO-RS, the study moved to
// storescp with C-MOVE, an association refused for an unknown called AE title. The tenant's
// auditor reads exactly these records back, each a DICOM audit message that validates against the
// PS3.15 A.5.1 schema; another tenant's auditor sees none of them; a record edited in the database
// is named by the chain verification.
describe('pacs process: the audit trail of a study, end to end', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;
  let storescp: ReturnType<typeof startTool>;
  const study = generateUid();
  const series = generateUid();
  const sops = [generateUid(), generateUid(), generateUid()];

  const get = (path: string, key: string, accept = 'application/json') =>
    fetch(`${app.baseUrl}${path}`, { headers: { Authorization: `Bearer ${key}`, Accept: accept } });

  /** All records of a tenant's trail, through the audit API (every page). */
  async function trail(tenantPath: string, key: string, query = ''): Promise<AuditView[]> {
    const records: AuditView[] = [];
    let url: string | null = `${tenantPath}/audit/records?limit=50${query}`;
    while (url) {
      const response = await get(url, key);
      if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
      const page = (await response.json()) as { records: AuditView[]; next: string | null };
      records.push(...page.records);
      url = page.next;
    }
    return records;
  }

  /** Waits until the trail holds a record passing `test` (records are appended shortly after the fact). */
  async function awaitTrail(tenantPath: string, key: string, test: (r: AuditView) => boolean): Promise<AuditView[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const records = await trail(tenantPath, key);
      if (records.some(test)) return records;
      if (Date.now() > deadline)
        throw new Error(`record not in the trail: ${JSON.stringify(records.map((r) => brief(r.event)))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    for (const name of ['storescu', 'movescu', 'echoscu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-audit-trail-'));
    const peer = await startMoveDestination(work, { others: [{ id: 'cardiology', aeTitles: ['CARD_PACS'] }] });
    storescp = peer.storescp;
    const tenantsFile = peer.tenantsFile;
    const keysFile = join(work, 'keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({
        keys: [
          { name: 'viewer-rad', sha256: sha256(KEYS.viewer), grants: { radiology: ['viewer'] } },
          { name: 'auditor-rad', sha256: sha256(KEYS.auditor), grants: { radiology: ['auditor'] } },
          { name: 'auditor-card', sha256: sha256(KEYS.cardiologyAuditor), grants: { cardiology: ['auditor'] } },
          { name: 'auditor-site', sha256: sha256(KEYS.siteAuditor), grants: { default: ['auditor'] } },
        ],
      }),
    );
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
      PACS_TENANTS_FILE: tenantsFile,
      PACS_API_KEYS_FILE: keysFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    storescp?.child.kill();
    app?.child.kill('SIGTERM');
    await app?.exited();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('records exactly what happened to the study, as valid DICOM audit messages', async () => {
    // 1. A modality sends the study (one association).
    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    for (const [i, sop] of sops.entries()) {
      const file = ctInstanceFile({
        studyInstanceUid: study,
        seriesInstanceUid: series,
        sopInstanceUid: sop,
        instanceNumber: i + 1,
        patientId: 'AT-1',
        patientName: 'Trail^Tess',
        rows: 8,
        columns: 8,
        pixelData: Buffer.alloc(128, i),
      });
      writeFileSync(join(outbox, `${i}.dcm`), file);
    }
    await run('storescu', ['-aet', 'CT1', '-aec', 'RAD_PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);

    // 2. A viewer searches for it until it is indexed (each search is recorded), 3. retrieves an instance.
    let searches = 0;
    for (const deadline = Date.now() + 20_000; ;) {
      searches++;
      const response = await get(
        `/tenants/radiology/dicomweb/studies?PatientID=AT-1`,
        KEYS.viewer,
        'application/dicom+json',
      );
      expect(response.status).toBe(200);
      if (((await response.json()) as unknown[]).length === 1) break;
      if (Date.now() > deadline) throw new Error('the study was not indexed within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const wado = await get(
      `/tenants/radiology/dicomweb/studies/${study}/series/${series}/instances/${sops[0]}`,
      KEYS.viewer,
      'multipart/related; type="application/dicom"',
    );
    expect(wado.status).toBe(200);
    await wado.arrayBuffer();

    // 4. A workstation moves the study to storescp. 5. A node calls an AE title nobody owns.
    await run(
      'movescu',
      [
        '-aet',
        'WS1',
        '-aec',
        'RAD_PACS',
        '-aem',
        'STORESCP',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        dicomPort,
      ],
      dcmtk,
    );
    await expect(
      run('echoscu', ['-aet', 'INTRUDER', '-aec', 'NOBODY', '127.0.0.1', dicomPort], dcmtk),
    ).rejects.toThrow();

    // The radiology auditor's view, once the move's record is in.
    const isMove = (r: AuditView) =>
      r.event.event.code === '110104' && r.event.action === 'R' && r.event.participants.some((p) => p.userId === 'WS1');
    await awaitTrail('/tenants/radiology', KEYS.auditor, (r) => isMove(r) && true);
    await awaitTrail(
      '/tenants/radiology',
      KEYS.auditor,
      (r) =>
        r.event.event.code === '110114' &&
        r.event.participants.some((p) => p.userId === 'WS1') &&
        r.event.eventTypes?.[0]?.code === '110123',
    );
    // The auditor's own reads are recorded beside their answers: wait for the first of them too.
    const byAuditorRad = (r: AuditView) => r.event.participants.some((p) => p.userId === 'auditor-rad');
    await awaitTrail('/tenants/radiology', KEYS.auditor, (r) => byAuditorRad(r) && r.event.event.code === '110101');
    const records = await trail('/tenants/radiology', KEYS.auditor);
    const byAuditor = records.filter(byAuditorRad);
    const others = records.filter((r) => !byAuditor.includes(r));
    // Each actor's records in the order it acted; actors acting at once (the modality's log-off, the
    // viewer's first search) may interleave on the trail.
    const byActor = (actor: string) => others.map((r) => brief(r.event)).filter((b) => b.endsWith(` by ${actor}`));
    expect(byActor('CT1')).toEqual([
      'User Authenticated/Login E 0 by CT1',
      'DICOM Instances Transferred C 0 by CT1',
      'User Authenticated/Logout E 0 by CT1',
    ]);
    expect(byActor('viewer-rad')).toEqual([
      'User Authenticated/Login E 0 by viewer-rad',
      ...Array.from({ length: searches }, () => 'Query E 0 by viewer-rad'),
      'DICOM Instances Transferred R 0 by viewer-rad',
    ]);
    // One request, one correlation id: the viewer's log-on was recorded by the access check of its
    // first search, and shares that search's id.
    const viewerRecords = others.filter((r) => brief(r.event).endsWith(' by viewer-rad'));
    expect(viewerRecords[1]!.event.correlationId).toBe(viewerRecords[0]!.event.correlationId);
    expect(new Set(viewerRecords.slice(1).map((r) => r.event.correlationId)).size).toBe(viewerRecords.length - 1);
    expect(byActor('WS1')).toEqual([
      'User Authenticated/Login E 0 by WS1',
      'DICOM Instances Transferred R 0 by WS1',
      'User Authenticated/Logout E 0 by WS1',
    ]);
    // And nothing else.
    expect(others.length).toBe(3 + 2 + searches + 3);
    // The auditor's own reads are on the trail too: one log-on, then one "Audit Log Used" per read.
    expect(byAuditor.map((r) => brief(r.event))).toEqual([
      'User Authenticated/Login E 0 by auditor-rad',
      ...byAuditor.slice(1).map(() => 'Audit Log Used R 0 by auditor-rad'),
    ]);
    expect(byAuditor.length).toBeGreaterThan(1);

    // The details an auditor looks for: who, from where, which patient and study, how many instances.
    const stored = others.find((r) => r.event.event.code === '110104' && r.event.action === 'C')!.event;
    expect(stored.participants).toEqual([
      expect.objectContaining({ userId: 'CT1', isRequestor: true, networkAccessPoint: '127.0.0.1' }),
      expect.objectContaining({ userId: 'RAD_PACS', isRequestor: false }),
    ]);
    expect(stored.objects).toEqual([
      expect.objectContaining({ typeCode: '1', id: 'AT-1', name: 'Trail^Tess' }),
      expect.objectContaining({ typeCode: '2', id: study, details: { [`sopClass:${CT}`]: '3' } }),
    ]);
    const moved = others.find(isMove)!.event;
    expect(moved.participants.map((p) => p.userId)).toEqual(['RAD_PACS', 'STORESCP', 'WS1']);
    expect(moved.objects.find((o) => o.typeCode === '2')?.details).toMatchObject({ instances: '3' });
    const query = others.find((r) => r.event.event.code === '110112')!.event;
    expect(query.objects[0]).toMatchObject({ details: { PatientID: 'AT-1' } });

    // Searches by patient, study, user, event type, outcome and time find these same records.
    const seqs = (list: AuditView[]) => list.map((r) => r.seq);
    expect(seqs(await trail('/tenants/radiology', KEYS.auditor, '&patientId=AT-1'))).toEqual(
      seqs(others.filter((r) => r.event.objects.some((o) => o.id === 'AT-1'))),
    );
    expect((await trail('/tenants/radiology', KEYS.auditor, `&studyUid=${study}`)).length).toBe(3);
    expect(seqs(await trail('/tenants/radiology', KEYS.auditor, '&user=WS1'))).toEqual(
      seqs(others.filter((r) => r.event.participants.some((p) => p.userId === 'WS1'))),
    );
    expect((await trail('/tenants/radiology', KEYS.auditor, '&eventType=110112')).length).toBe(searches);
    expect((await trail('/tenants/radiology', KEYS.auditor, '&outcome=4')).length).toBe(0);
    expect((await trail('/tenants/radiology', KEYS.auditor, '&to=2000-01-01')).length).toBe(0);
    const bad = await get('/tenants/radiology/audit/records?outcome=3', KEYS.auditor);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('parameter outcome');

    // The refused association is the PACS's own (default tenant) record, with the reason.
    const site = await awaitTrail('', KEYS.siteAuditor, (r) => r.event.outcome === 4);
    expect(site.filter((r) => r.event.outcome === 4).map((r) => [brief(r.event), r.event.outcomeDescription])).toEqual([
      ['User Authenticated/Login E 4 by INTRUDER', 'association rejected: called AE title not recognized'],
    ]);
    expect(site[0]!.event.event.meaning).toBe('Application Activity');

    // Every record is a DICOM audit message that validates (PS3.15 A.5.1), also one by one as XML.
    const all = [...records, ...site];
    const validation = await validateAuditXml(all.map((r) => r.xml));
    expect(validation.errors).toEqual([]);
    const xml = await get(
      `/tenants/radiology/audit/records/${others.find((r) => r.event.action === 'C')!.seq}`,
      KEYS.auditor,
      'application/xml',
    );
    expect(xml.headers.get('content-type')).toContain('application/xml');
    const text = await xml.text();
    expect(text).toContain(
      '<EventID csd-code="110104" codeSystemName="DCM" originalText="DICOM Instances Transferred"/>',
    );
    expect(text).toContain(`ParticipantObjectID="${study}"`);
  }, 120_000);

  it("tenant isolation: another tenant's auditor, and a viewer, see none of the records", async () => {
    const cardiology = await get('/tenants/cardiology/audit/records', KEYS.cardiologyAuditor);
    expect(cardiology.status).toBe(200);
    const page = (await cardiology.json()) as { records: AuditView[] };
    expect(page.records.every((r) => r.tenantId === 'cardiology')).toBe(true);
    expect(JSON.stringify(page.records)).not.toContain(study);
    for (const path of ['/tenants/radiology/audit/records', '/tenants/radiology/audit/verify', '/audit/records']) {
      const refused = await get(path, KEYS.cardiologyAuditor);
      expect(refused.status).toBe(404);
      expect(await refused.text()).not.toContain(study);
    }
    const viewer = await get('/tenants/radiology/audit/records', KEYS.viewer);
    expect(viewer.status).toBe(403);
    expect((await get('/tenants/radiology/audit/records', 'no-such-key')).status).toBe(401);
  });

  it('verify: the chain holds, until a record is edited in the database, which it then names', async () => {
    const intact = (await (await get('/tenants/radiology/audit/verify', KEYS.auditor)).json()) as Record<
      string,
      unknown
    >;
    expect(intact).toMatchObject({ tenantId: 'radiology', intact: true });
    const records = await trail('/tenants/radiology', KEYS.auditor);
    const target = records.find((r) => r.event.event.code === '110104' && r.event.action === 'C')!;
    // The process appends meanwhile (each read of the trail is recorded): wait for its write lock.
    const db = new DatabaseSync(join(work, 'data', 'audit.sqlite'), { timeout: 10_000 });
    try {
      const row = db
        .prepare('SELECT event FROM audit_records WHERE tenant_id = ? AND seq = ?')
        .get('radiology', target.seq) as {
        event: string;
      };
      const edited = JSON.parse(row.event) as AuditEvent;
      edited.participants[0] = { ...edited.participants[0]!, userId: 'SOMEONE_ELSE' };
      db.prepare('UPDATE audit_records SET event = ? WHERE tenant_id = ? AND seq = ?').run(
        JSON.stringify(edited),
        'radiology',
        target.seq,
      );
    } finally {
      db.close();
    }
    const broken = (await (await get('/tenants/radiology/audit/verify', KEYS.auditor)).json()) as {
      intact: boolean;
      firstBroken: { seq: number; eventId: string; problem: string };
    };
    expect(broken.intact).toBe(false);
    expect(broken.firstBroken).toMatchObject({ seq: target.seq, eventId: target.eventId });
    expect(broken.firstBroken.problem).toContain('altered');
  });
});
