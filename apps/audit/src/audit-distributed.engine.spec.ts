import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { NodeCollector, validateAuditXml } from '@pacs/audit/testing';
import type { AuditEvent } from '@pacs/contracts';
import { generateUid } from '@pacs/dicom';
import { CT_IMAGE_STORAGE, ctInstanceFile } from '@pacs/dicom/testing';
import { engineEnv, freePort, startApp, uniqueName, waitForStatus, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INSTANCES = 3;
const CALLING_AE = 'MODALITY1';

/** A record of the trail as the audit app wrote it in MongoDB (collection `audit_records`). */
interface StoredRecord {
  readonly seq: number;
  readonly eventId: string;
  readonly hash: string;
  readonly event: AuditEvent;
}

/** A syslog message the collector read: our structured data (tenant, seq, eventId, hash) and the XML. */
interface SyslogMessage {
  readonly tenant: string;
  readonly seq: number;
  readonly eventId: string;
  readonly hash: string;
  readonly xml: string;
}

// `<PRI>1 TIMESTAMP HOSTNAME pacs-audit - IHE+RFC-3881 [pacs@32473 tenant seq eventId hash] BOM<xml>`
const AUDIT_SYSLOG =
  /^<\d+>1 \S+ \S+ pacs-audit - IHE\+RFC-3881 \[pacs@32473 tenant="([^"]+)" seq="(\d+)" eventId="([^"]+)" hash="([0-9a-f]{64})"\] \uFEFF([\s\S]*)$/;

/**
 * The syslog collector of the test (RFC 6587 3.4.1 octet counting): it reads a connection to its
 * end, then closes its side, as rsyslog's imtcp does; that orderly close is how the audit app's
 * exporter knows a batch was read (libs/audit/src/syslog/syslog-transport.ts).
 */
class AuditCollector extends NodeCollector {
  /** What it received that is not an audit message of ours. */
  get problems(): string[] {
    return this.parsed().flatMap((m) => ('problem' in m ? [m.problem] : []));
  }

  /** The messages of one tenant, in the order received. */
  of(tenant: string): SyslogMessage[] {
    return this.parsed().flatMap((m) => ('problem' in m || m.tenant !== tenant ? [] : [m]));
  }

  private parsed(): Array<SyslogMessage | { problem: string }> {
    return this.messages().map((message) => {
      const text = message.toString('utf8');
      const match = AUDIT_SYSLOG.exec(text);
      if (!match) return { problem: `not an audit message: ${text.slice(0, 200)}` };
      return { tenant: match[1]!, seq: Number(match[2]), eventId: match[3]!, hash: match[4]!, xml: match[5]! };
    });
  }
}

// Which record is which: the application starts by service and process id (PS3.15 A.5.3.1), the
// association's log-on and log-off (A.5.3.12) and the instances it stored (A.5.3.7, action C).
const code = (event: AuditEvent) => event.event.code;
const typeCode = (event: AuditEvent) => event.eventTypes?.[0]?.code;
const isApplicationStart = (service: string, pid: number | undefined) => (event: AuditEvent) =>
  code(event) === '110100' &&
  typeCode(event) === '110120' &&
  event.source === service &&
  event.participants.some((p) => p.userId === `pacs-${service}` && p.userName === `pid ${pid}`);
const isTransfer = (studyUid: string) => (event: AuditEvent) =>
  code(event) === '110104' && event.action === 'C' && event.objects.some((o) => o.id === studyUid);
const isAssociation = (kind: 'login' | 'logout', correlationId: string) => (event: AuditEvent) =>
  code(event) === '110114' &&
  typeCode(event) === (kind === 'login' ? '110122' : '110123') &&
  event.correlationId === correlationId;
const isAuditLogUsed = (event: AuditEvent) => code(event) === '110101';

/** The one record that matches, failing with the trail's codes when there are none or several. */
function single<T extends StoredRecord>(trail: readonly T[], what: string, matches: (event: AuditEvent) => boolean): T {
  const found = trail.filter((record) => matches(record.event));
  if (found.length !== 1) {
    const summary = trail.map((r) => `${r.seq}:${code(r.event)}/${typeCode(r.event) ?? r.event.action}`).join(' ');
    throw new Error(`${found.length} records of ${what}, expected exactly 1; trail: ${summary}`);
  }
  return found[0]!;
}

/** The association that stored a study: its log-on, transfer and log-off records, each once and in that order. */
function associationOf<T extends StoredRecord>(trail: readonly T[], studyUid: string) {
  const transfer = single(trail, `the transfer of study ${studyUid}`, isTransfer(studyUid));
  const login = single(
    trail,
    `the log-on before study ${studyUid}`,
    isAssociation('login', transfer.event.correlationId),
  );
  const logout = single(
    trail,
    `the log-off after study ${studyUid}`,
    isAssociation('logout', transfer.event.correlationId),
  );
  expect(login.seq).toBeLessThan(transfer.seq);
  expect(transfer.seq).toBeLessThan(logout.seq);
  return { login, transfer, logout };
}

// The distributed shape of the audit service: the gateway and the audit app as two processes on
// Kafka (audit.event), FerretDB (the audit app's trail in `audit_records`; the gateway's metadata
// index) and Redis, each with its own data folder, the audit app exporting to a syslog collector.
// A modality sends studies to the gateway with storescu; the audit app records what the gateway
// published, each event once, in a SHA-256 chain without gaps, across a SIGKILL and a restart.
// A second audit replica runs beside the first on the same group, database, Redis and collector:
// the consumer group shares the partitions out, and the exporters' lease in Redis lets one of them
// send at a time, so the collector still gets every record once.
// Both processes run with a default tenant of their own, so that the audit events other suites
// publish on the shared topic (in the `default` tenant) land in other chains.
describe('audit app on Kafka and FerretDB, beside the gateway, exporting to syslog', () => {
  let work: string;
  let gateway: AppProcess | undefined;
  let audit: AppProcess | undefined;
  let replica: AppProcess | undefined;
  let auditEnv: Record<string, string>;
  let dicomPort: string;
  let mongo: MongoClient;
  let collectorPort: number;
  const collector = new AuditCollector();
  const tenant = uniqueName('audit');
  const database = uniqueName('audit')
    .replace(/[^a-z0-9]/gi, '_')
    .slice(0, 60);
  const studies = new Map<string, { studyInstanceUid: string; patientId: string }>();

  const logs = () =>
    [gateway, audit, replica]
      .flatMap((app) => (app ? [`${app.stdout()}\n${app.stderr()}`] : []))
      .join('\n---\n')
      .slice(-20_000);

  const records = () => mongo.db(database).collection('audit_records');

  /** The tenant's trail as stored, in seq order. */
  async function storedTrail(): Promise<StoredRecord[]> {
    const documents = await records().find({ tenantId: tenant }).sort({ seq: 1 }).toArray();
    return documents.map((d) => ({
      seq: d.seq as number,
      eventId: d.eventId as string,
      hash: d.hash as string,
      event: JSON.parse(d.event as string) as AuditEvent,
    }));
  }

  /** Polls the stored trail until it satisfies `done`. */
  async function trailWhen(done: (trail: StoredRecord[]) => boolean, what: string): Promise<StoredRecord[]> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const trail = await storedTrail();
      if (done(trail)) return trail;
      if (Date.now() > deadline) {
        const summary = trail.map((r) => `${r.seq}:${code(r.event)}`).join(' ');
        throw new Error(`${what}: not in the trail within 90 s (trail: ${summary})\n${logs()}`);
      }
      await sleep(200);
    }
  }

  /** Waits until the collector has every record of the trail (at least once), and returns the trail. */
  async function exportedTrail(): Promise<StoredRecord[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const trail = await storedTrail();
      const received = new Set(collector.of(tenant).map((m) => m.seq));
      if (trail.length > 0 && trail.every((r) => received.has(r.seq))) return trail;
      if (Date.now() > deadline) {
        throw new Error(
          `the collector has ${received.size} of the ${trail.length} records within 60 s (problems: ${collector.problems.join('; ')})\n${logs()}`,
        );
      }
      await sleep(200);
    }
  }

  /** Sends a study of a few generated CT instances to the gateway, on one association. */
  async function sendStudy(name: string): Promise<{ studyInstanceUid: string; patientId: string }> {
    const outbox = join(work, `outbox-${name}`);
    mkdirSync(outbox);
    const study = { studyInstanceUid: generateUid(), patientId: `PAT-${name}-${Date.now().toString(36)}` };
    const seriesInstanceUid = generateUid();
    for (let i = 0; i < INSTANCES; i++) {
      const file = ctInstanceFile({
        ...study,
        seriesInstanceUid,
        patientName: `AUDIT^${name.toUpperCase()}`,
        instanceNumber: i + 1,
        rows: 16,
        columns: 16,
        pixelData: Buffer.alloc(16 * 16 * 2, i + 1),
      });
      writeFileSync(join(outbox, `${i}.dcm`), file);
    }
    await run('storescu', ['-aet', CALLING_AE, '-aec', 'PACS', '127.0.0.1', dicomPort, '+sd', outbox], dcmtk);
    studies.set(name, study);
    return study;
  }

  const api = (path: string, init?: RequestInit) => fetch(`${audit!.baseUrl}${path}`, init);

  beforeAll(async () => {
    await run('which', ['storescu']).catch(() => {
      throw new Error('storescu is missing: install DCMTK (apt-get install dcmtk)');
    });
    work = mkdtempSync(join(tmpdir(), 'pacs-audit-'));
    mongo = new MongoClient(engineEnv('PACS_MONGODB_URL'), { serverSelectionTimeoutMS: 5_000 });
    collectorPort = await collector.start();
    const shared = {
      PACS_KAFKA_BROKERS: engineEnv('PACS_KAFKA_BROKERS'),
      PACS_KAFKA_PARTITIONS: '3',
      PACS_REDIS_URL: engineEnv('PACS_REDIS_URL'),
      PACS_REDIS_KEY_PREFIX: `${uniqueName('audit')}:`,
      PACS_MONGODB_URL: engineEnv('PACS_MONGODB_URL'),
      PACS_MONGODB_DATABASE: database,
      PACS_DEFAULT_TENANT: tenant,
    };
    dicomPort = String(await freePort());
    gateway = startApp('gateway', {
      ...shared,
      PACS_DATA_DIR: join(work, 'gateway'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
    });
    auditEnv = {
      ...shared,
      PACS_DATA_DIR: join(work, 'audit'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_AUDIT_SYSLOG: `tcp://127.0.0.1:${collectorPort}`,
    };
    audit = startApp('audit', auditEnv);
    replica = startApp('audit', {
      ...auditEnv,
      PACS_DATA_DIR: join(work, 'audit-replica'),
      PACS_HTTP_PORT: String(await freePort()),
    });
    for (const app of [gateway, audit, replica]) await waitForStatus(app, '/health/ready', 200, 90_000);
  }, 180_000);

  afterAll(async () => {
    for (const app of [gateway, audit, replica]) {
      if (app && app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGTERM');
        await app.exited();
      }
    }
    await collector.stop();
    if (mongo) {
      await mongo
        .db(database)
        .dropDatabase()
        .catch(() => undefined);
      await mongo.close();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('records the start, the association and the study stored, once each, in MongoDB and at the collector', async () => {
    const study = await sendStudy('first');
    await trailWhen(
      (trail) =>
        [
          isApplicationStart('gateway', gateway!.child.pid),
          isApplicationStart('audit', audit!.child.pid),
          isApplicationStart('audit', replica!.child.pid),
          isTransfer(study.studyInstanceUid),
        ].every((matches) => trail.some((r) => matches(r.event))) &&
        trail.some((r) => code(r.event) === '110114' && typeCode(r.event) === '110123'),
      'the starts, the association and the study',
    );

    // The auditor's view of the default tenant: every record once, seq 1, 2, 3 ... in chain order.
    const response = await api('/audit/records?limit=1000');
    expect(response.status).toBe(200);
    const page = (await response.json()) as { tenantId: string; records: (StoredRecord & { xml: string })[] };
    expect(page.tenantId).toBe(tenant);
    const trail = page.records;
    expect(trail.map((r) => r.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(new Set(trail.map((r) => r.eventId)).size).toBe(trail.length);
    single(trail, "the gateway's start", isApplicationStart('gateway', gateway!.child.pid));
    single(trail, "the audit app's start", isApplicationStart('audit', audit!.child.pid));
    single(trail, "the audit replica's start", isApplicationStart('audit', replica!.child.pid));
    const { login, transfer, logout } = associationOf(trail, study.studyInstanceUid);
    for (const record of [login, logout]) {
      expect(record.event).toMatchObject({ source: 'gateway', action: 'E', outcome: 0 });
      expect(record.event.participants).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userId: CALLING_AE, isRequestor: true }),
          expect.objectContaining({ userId: 'PACS', isRequestor: false }),
        ]),
      );
    }
    expect(transfer.event).toMatchObject({
      tenantId: tenant,
      source: 'gateway',
      event: { code: '110104', codingScheme: 'DCM', meaning: 'DICOM Instances Transferred' },
      action: 'C',
      outcome: 0,
    });
    expect(transfer.event.objects).toEqual([
      expect.objectContaining({ typeCode: '1', id: study.patientId, name: 'AUDIT^FIRST' }),
      expect.objectContaining({
        typeCode: '2',
        id: study.studyInstanceUid,
        details: { [`sopClass:${CT_IMAGE_STORAGE}`]: String(INSTANCES) },
      }),
    ]);
    expect(transfer.xml).toContain('<AuditMessage>');

    // Searches by study and patient find the transfer; the tenant's own path is the same trail.
    const byStudy = (await (await api(`/audit/records?studyUid=${study.studyInstanceUid}`)).json()) as {
      records: StoredRecord[];
    };
    expect(byStudy.records.map((r) => r.seq)).toEqual([transfer.seq]);
    const byPatient = await (await api(`/tenants/${tenant}/audit/records?patientId=${study.patientId}`)).json();
    expect(byPatient).toMatchObject({ tenantId: tenant, records: [{ seq: transfer.seq, eventId: transfer.eventId }] });

    // One record as the DICOM audit message (PS3.15 A.5.1).
    const xml = await api(`/audit/records/${transfer.seq}`, { headers: { accept: 'application/xml' } });
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    const message = await xml.text();
    expect(message).toContain('<AuditMessage>');
    expect(message).toContain('EventActionCode="C"');
    expect(message).toContain(study.studyInstanceUid);
    expect(message).toContain(study.patientId);

    // The chain holds.
    const verify = (await (await api('/audit/verify')).json()) as { lastSeq: number };
    expect(verify).toMatchObject({ tenantId: tenant, intact: true });
    expect(verify.lastSeq).toBeGreaterThanOrEqual(trail.length);

    // What the API answered is what MongoDB holds, record for record; and each of the five reads
    // above is itself on the trail (Audit Log Used, PS3.15 A.5.3.2) once it came back through Kafka.
    const stored = await trailWhen((t) => t.filter((r) => isAuditLogUsed(r.event)).length >= 5, 'the five reads');
    expect(stored.filter((r) => isAuditLogUsed(r.event))).toHaveLength(5);
    expect(stored.slice(0, trail.length).map((r) => [r.seq, r.eventId, r.hash])).toEqual(
      trail.map((r) => [r.seq, r.eventId, r.hash]),
    );
    expect(await records().countDocuments({ tenantId: tenant })).toBe(stored.length);

    // The collector read every record of the tenant exactly once, in chain order, as the stored record.
    const exported = await exportedTrail();
    const received = collector.of(tenant);
    expect(collector.problems).toEqual([]);
    expect(received.map((m) => [m.seq, m.eventId, m.hash])).toEqual(exported.map((r) => [r.seq, r.eventId, r.hash]));
    for (const m of received) expect(m.xml).toContain('<AuditMessage>');
    const validation = await validateAuditXml(received.map((m) => m.xml));
    expect(validation.errors).toEqual([]);
    expect(validation.valid).toBe(true);
  }, 240_000);

  it('after a SIGKILL and a restart of the audit app, has each event once, without a gap, and exports the rest', async () => {
    // Killed while the records of a second study are coming in; a third is sent while it is down.
    const second = await sendStudy('second');
    audit!.child.kill('SIGKILL');
    await audit!.exited();
    const before = await storedTrail();
    const headAtKill = before.at(-1)?.seq ?? 0;
    const cursors = await mongo
      .db(database)
      .collection('audit_cursors')
      .find({ tenantId: tenant, exporter: `syslog:tcp://127.0.0.1:${collectorPort}` })
      .toArray();
    const cursorAtKill = Math.max(0, ...cursors.map((c) => c.seq as number));
    const third = await sendStudy('third');

    // Same environment, same data folder: the consumer group resumes from its committed offsets
    // (once the killed member's session has expired) and the exporter from its cursor.
    const firstPid = audit!.child.pid;
    audit = startApp('audit', auditEnv);
    await waitForStatus(audit, '/health/ready', 200, 120_000);
    const trail = await trailWhen(
      (t) =>
        [
          isTransfer(second.studyInstanceUid),
          isTransfer(third.studyInstanceUid),
          isApplicationStart('audit', audit!.child.pid),
        ].every((matches) => t.some((r) => matches(r.event))) &&
        t.filter((r) => code(r.event) === '110114' && typeCode(r.event) === '110123').length >= 3,
      'the second and third studies, and the restart',
    );

    // Each event exactly once, the chain without a gap.
    expect(trail.map((r) => r.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(new Set(trail.map((r) => r.eventId)).size).toBe(trail.length);
    single(trail, "the gateway's start", isApplicationStart('gateway', gateway!.child.pid));
    single(trail, "the first audit app's start", isApplicationStart('audit', firstPid));
    single(trail, "the restarted audit app's start", isApplicationStart('audit', audit.child.pid));
    single(trail, "the audit replica's start", isApplicationStart('audit', replica!.child.pid));
    for (const study of studies.values()) associationOf(trail, study.studyInstanceUid);
    expect(trail.filter((r) => code(r.event) === '110104')).toHaveLength(studies.size);
    expect(trail.filter((r) => code(r.event) === '110114')).toHaveLength(2 * studies.size);

    const verify = (await (await api('/audit/verify')).json()) as { lastSeq: number };
    expect(verify).toMatchObject({ tenantId: tenant, intact: true });
    expect(verify.lastSeq).toBeGreaterThanOrEqual(trail.length);

    // The collector has every record, each as stored. Only the batch in flight at the kill (sent,
    // its cursor not saved) may have come twice; what was appended after the kill, exactly once.
    await trailWhen((t) => t.some((r) => isAuditLogUsed(r.event) && r.seq > trail.length), 'the read of /audit/verify');
    const exported = await exportedTrail();
    const bySeq = new Map(exported.map((r) => [r.seq, r]));
    const received = collector.of(tenant);
    expect(collector.problems).toEqual([]);
    for (const m of received) {
      expect({ seq: m.seq, eventId: m.eventId, hash: m.hash }).toEqual({
        seq: m.seq,
        eventId: bySeq.get(m.seq)?.eventId,
        hash: bySeq.get(m.seq)?.hash,
      });
    }
    const times = new Map<number, number>();
    for (const m of received) times.set(m.seq, (times.get(m.seq) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1).map(([seq]) => seq);
    for (const seq of twice) {
      expect(seq).toBeGreaterThan(cursorAtKill);
      expect(seq).toBeLessThanOrEqual(headAtKill);
    }
    expect([...times.keys()].sort((a, b) => a - b)).toEqual(exported.map((r) => r.seq));
  }, 300_000);
});
