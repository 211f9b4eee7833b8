import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { AuditEventV1, type AuditEvent } from '@pacs/contracts';
import { generateUid, readDataset } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { startTool } from '@pacs/dimse/testing';
import { freePort, startApp, waitForStatus, startMoveDestination, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';

// Every query and retrieve of the all-in-one process leaves its record on the audit topic of the
// process's event log: QIDO-RS searches and C-FIND ("Query", 110112), WADO-RS, C-MOVE and C-GET
// ("DICOM Instances Transferred", 110104, from the sending side: action R), with requestor,
// tenant, outcome, the query keys or the studies and instance counts. The test reads the log file.
describe('pacs process: audit records of queries and retrieves', () => {
  let work: string;
  let dataDir: string;
  let app: AppProcess;
  let dicomPort: string;
  let storescp: ReturnType<typeof startTool>;
  const study = generateUid();

  /** The audit records in the process's event log. */
  function audited(): AuditEvent[] {
    const db = new DatabaseSync(join(dataDir, 'events.sqlite'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT value FROM messages WHERE topic = ? ORDER BY rowid').all(AuditEventV1.name);
      return rows.map((row) => AuditEventV1.schema.parse(JSON.parse(String(row.value))));
    } finally {
      db.close();
    }
  }

  /** Waits until a new record matching `test` is in the log (records are published beside the answer). */
  async function awaitRecord(before: number, test: (event: AuditEvent) => boolean): Promise<AuditEvent> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = audited().slice(before).filter(test);
      if (found.length === 1) return found[0]!;
      if (found.length > 1) throw new Error(`${found.length} records where one was expected`);
      if (Date.now() > deadline) throw new Error(`no such audit record within 10 s\n${JSON.stringify(audited())}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const transferred = (event: AuditEvent) => event.event.code === '110104' && event.action === 'R';
  const query = (event: AuditEvent) => event.event.code === '110112';
  const studyObject = (event: AuditEvent) => event.objects.find((o) => o.typeCode === '2' && o.id === study);

  beforeAll(async () => {
    for (const name of ['storescu', 'findscu', 'getscu', 'movescu', 'storescp']) {
      await run('which', [name]).catch(() => {
        throw new Error(`${name} is missing: install DCMTK (apt-get install dcmtk)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-qr-audit-'));
    dataDir = join(work, 'data');
    const peer = await startMoveDestination(work);
    storescp = peer.storescp;
    const tenantsFile = peer.tenantsFile;
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: dataDir,
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    const outbox = join(work, 'outbox');
    mkdirSync(outbox);
    const series = generateUid();
    for (const instanceNumber of [1, 2, 3]) {
      const file = ctInstanceFile({
        studyInstanceUid: study,
        seriesInstanceUid: series,
        instanceNumber,
        patientId: 'AUDIT-1',
        patientName: 'Audit^Alice',
        rows: 8,
        columns: 8,
        pixelData: Buffer.alloc(8 * 8 * 2, instanceNumber),
      });
      writeFileSync(join(outbox, `${instanceNumber}.dcm`), file);
    }
    await run('storescu', ['-aet', 'CT1', '-aec', 'RAD_PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);
    const deadline = Date.now() + 20_000;
    let polls = 0;
    for (;;) {
      polls++;
      const response = await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies/${study}/instances`);
      if (response.status === 200 && ((await response.json()) as unknown[]).length === 3) break;
      if (Date.now() > deadline) throw new Error(`the study was not indexed within 20 s\n${app.stdout()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The polls are audited too, beside their answers: the tests count records from after the last.
    while (audited().filter(query).length < polls) {
      if (Date.now() > deadline) throw new Error(`the audit records of ${polls} polls did not come within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    storescp?.child.kill();
    app?.child.kill('SIGTERM');
    await app?.exited();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('QIDO-RS: a Query record with the client, the URL and the parameters; a refused search too', async () => {
    let before = audited().length;
    const url = `${app.baseUrl}/tenants/radiology/dicomweb/studies`;
    const response = await fetch(`${url}?PatientID=AUDIT-1&includefield=00081030`);
    expect(response.status).toBe(200);
    const record = await awaitRecord(before, query);
    expect(record).toMatchObject({
      tenantId: 'radiology',
      action: 'E',
      outcome: 0,
      participants: [
        { userId: 'local', isRequestor: true, networkAccessPoint: '127.0.0.1', roles: [{ code: '110153' }] },
        { userId: url, isRequestor: false, roles: [{ code: '110152' }] },
      ],
      objects: [
        { typeCode: '2', idType: { code: '12' }, id: url, details: { PatientID: 'AUDIT-1', includefield: '00081030' } },
      ],
    });
    expect(Buffer.from(record.objects[0]!.query!, 'base64').toString()).toBe('PatientID=AUDIT-1&includefield=00081030');

    before = audited().length;
    const refused = await fetch(`${url}?limit=many`);
    expect(refused.status).toBe(400);
    expect(await awaitRecord(before, query)).toMatchObject({ outcome: 4, outcomeDescription: expect.any(String) });
  });

  it('WADO-RS: the study retrieved, with its patient and instance count, to the client', async () => {
    const before = audited().length;
    const url = `${app.baseUrl}/tenants/radiology/dicomweb/studies/${study}`;
    const response = await fetch(url, { headers: { Accept: 'multipart/related; type="application/dicom"' } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const record = await awaitRecord(before, transferred);
    expect(record).toMatchObject({
      tenantId: 'radiology',
      outcome: 0,
      participants: [
        { userId: url, isRequestor: false, roles: [{ code: '110153' }] },
        { userId: 'local', isRequestor: true, roles: [{ code: '110152' }] },
      ],
      objects: [
        { typeCode: '1', id: 'AUDIT-1', name: 'Audit^Alice' },
        { typeCode: '2', id: study, details: { instances: '3', [`sopClass:${CT}`]: '3' } },
      ],
    });
  });

  it('WADO-URI: the one instance retrieved', async () => {
    const listed = (await (
      await fetch(`${app.baseUrl}/tenants/radiology/dicomweb/studies/${study}/instances`)
    ).json()) as Array<Record<string, { Value: string[] }>>;
    const [series, instance] = [listed[0]!['0020000E']!.Value[0]!, listed[0]!['00080018']!.Value[0]!];
    const before = audited().length;
    const response = await fetch(
      `${app.baseUrl}/tenants/radiology/wado?requestType=WADO&studyUID=${study}&seriesUID=${series}&objectUID=${instance}&contentType=application/dicom`,
    );
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const record = await awaitRecord(before, transferred);
    expect(record).toMatchObject({
      outcome: 0,
      participants: [{ userId: `${app.baseUrl}/tenants/radiology/wado` }, { userId: 'local', isRequestor: true }],
    });
    expect(studyObject(record)!.details).toEqual({ instances: '1', [`sopClass:${CT}`]: '1' });
  });

  it('C-FIND: a Query record with the calling AE title, the information model and the keys', async () => {
    const before = audited().length;
    const { stdout, stderr } = await run(
      'findscu',
      [
        '-S',
        '-v',
        '-aet',
        'VIEWER',
        '-aec',
        'RAD_PACS',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        'PatientID=AUDIT-1',
        '-k',
        'StudyInstanceUID',
        '127.0.0.1',
        dicomPort,
      ],
      dcmtk,
    );
    expect(`${stdout}${stderr}`).toContain('Received Final Find Response (Success)');
    const record = await awaitRecord(before, query);
    expect(record).toMatchObject({
      tenantId: 'radiology',
      action: 'E',
      outcome: 0,
      participants: [
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '127.0.0.1' },
        { userId: 'RAD_PACS', isRequestor: false },
      ],
      objects: [
        {
          idType: { code: '110181' },
          id: STUDY_ROOT_FIND,
          details: { TransferSyntax: expect.any(String), QueryRetrieveLevel: 'STUDY', PatientID: 'AUDIT-1' },
        },
      ],
    });
    // The identifier as findscu sent it.
    const identifier = readDataset(Buffer.from(record.objects[0]!.query!, 'base64'), {
      transferSyntax: record.objects[0]!.details!['TransferSyntax']!,
    });
    expect(identifier.status === 'complete' && identifier.dataset.string('PatientID')).toBe('AUDIT-1');
  });

  it('C-MOVE: the study sent to the Move Destination, with the requestor beside it', async () => {
    const before = audited().length;
    const { stdout, stderr } = await run(
      'movescu',
      [
        '-S',
        '-v',
        '-aet',
        'VIEWER',
        '-aec',
        'RAD_PACS',
        '-aem',
        'STORESCP',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        dicomPort,
      ],
      dcmtk,
    );
    expect(`${stdout}${stderr}`).toContain('Received Final Move Response (Success)');
    const record = await awaitRecord(before, transferred);
    expect(record).toMatchObject({
      tenantId: 'radiology',
      outcome: 0,
      participants: [
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110153' }] },
        { userId: 'STORESCP', isRequestor: false, roles: [{ code: '110152' }] },
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '127.0.0.1' },
      ],
      objects: [
        { typeCode: '1', id: 'AUDIT-1' },
        { typeCode: '2', id: study },
      ],
    });
    expect(studyObject(record)!.details).toEqual({ instances: '3', [`sopClass:${CT}`]: '3' });
  });

  it('C-MOVE to an unknown destination: refused (A801), and recorded as such', async () => {
    const before = audited().length;
    const refused = await run(
      'movescu',
      [
        '-S',
        '-d',
        '-aet',
        'VIEWER',
        '-aec',
        'RAD_PACS',
        '-aem',
        'ELSEWHERE',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        dicomPort,
      ],
      dcmtk,
    ).then(
      ({ stdout, stderr }) => `${stdout}${stderr}`,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    );
    expect(refused).toMatch(/DIMSE Status\s+: 0xa801/i);
    const record = await awaitRecord(before, transferred);
    expect(record).toMatchObject({
      outcome: 8,
      outcomeDescription: 'C-MOVE refused: move destination "ELSEWHERE" unknown',
      participants: [
        { userId: 'RAD_PACS', isRequestor: false },
        { userId: 'ELSEWHERE', isRequestor: false },
        { userId: 'VIEWER', isRequestor: true },
      ],
      objects: [],
    });
  });

  it('C-GET: the study sent to the requestor over its association', async () => {
    const before = audited().length;
    const dir = join(work, 'get');
    mkdirSync(dir);
    const { stdout, stderr } = await run(
      'getscu',
      [
        '-S',
        '-v',
        '-aet',
        'VIEWER',
        '-aec',
        'RAD_PACS',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '-od',
        dir,
        '127.0.0.1',
        dicomPort,
      ],
      dcmtk,
    );
    expect(`${stdout}${stderr}`).toContain('Received C-GET Response (Success)');
    const record = await awaitRecord(before, transferred);
    expect(record).toMatchObject({
      tenantId: 'radiology',
      outcome: 0,
      participants: [
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110153' }] },
        { userId: 'VIEWER', isRequestor: true, networkAccessPoint: '127.0.0.1', roles: [{ code: '110152' }] },
      ],
    });
    expect(record.participants).toHaveLength(2);
    expect(studyObject(record)!.details).toEqual({ instances: '3', [`sopClass:${CT}`]: '3' });
    // One record per operation, each with its own correlation id.
    const ids = audited()
      .filter((event) => transferred(event) || query(event))
      .map((event) => event.correlationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
