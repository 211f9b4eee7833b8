import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RsyslogCollector } from '@pacs/audit/testing';
import { freePort, startApp, waitForStatus, type AppProcess } from '@pacs/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// `<PRI>1 TIMESTAMP HOSTNAME pacs-audit - IHE+RFC-3881 [pacs@32473 tenant seq eventId hash] BOM<xml>`
const AUDIT_SYSLOG =
  /^<\d+>1 \S+ \S+ pacs-audit - IHE\+RFC-3881 \[pacs@32473 tenant="([^"]+)" seq="(\d+)" eventId="[^"]+" hash="([0-9a-f]{64})"\] \uFEFF<\?xml[^>]*\?><AuditMessage>/;

interface Received {
  readonly tenant: string;
  readonly seq: number;
  readonly hash: string;
}

// The all-in-one process exporting its audit trail to Debian's rsyslogd over TCP (RFC 6587 octet
// counting) while it works: the collector is stopped for 30 s in the middle of the run and started
// again; at the end it holds every record of the trail exactly once, each with its record's hash.
describe('pacs process: the audit trail exported to syslog (rsyslog), across a 30 s outage', () => {
  let work: string;
  let app: AppProcess;
  let rsyslog: RsyslogCollector;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pacs-audit-syslog-'));
    rsyslog = new RsyslogCollector(work, await freePort());
    await rsyslog.start();
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(await freePort()),
      PACS_AUDIT_SYSLOG: `tcp://127.0.0.1:${rsyslog.port}`,
      PACS_AUDIT_SYSLOG_HOSTNAME: 'pacs-test',
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    await rsyslog?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  function received(): Received[] {
    return rsyslog.messages().map((line) => {
      const match = AUDIT_SYSLOG.exec(line.toString('utf8'));
      if (!match) throw new Error(`not an audit message: ${line.toString('utf8').slice(0, 200)}`);
      return { tenant: match[1]!, seq: Number(match[2]), hash: match[3]! };
    });
  }

  /** The default tenant's trail through the audit API: seq → hash. */
  async function trail(): Promise<Map<number, string>> {
    const hashes = new Map<number, string>();
    let url: string | null = '/audit/records?limit=1000';
    while (url) {
      const response = await fetch(`${app.baseUrl}${url}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { records: { seq: number; hash: string }[]; next: string | null };
      for (const record of page.records) hashes.set(record.seq, record.hash);
      url = page.next;
    }
    return hashes;
  }

  it('delivers every record once, the ones made while the collector was down after it is back', async () => {
    const started = Date.now();
    const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
    const outage = (async () => {
      await at(5_000);
      await rsyslog.stop();
      await at(35_000);
      await rsyslog.start();
    })();
    // A search every 300 ms for 42 s: each is a Query record of the default tenant.
    let searches = 0;
    while (Date.now() - started < 42_000) {
      const response = await fetch(`${app.baseUrl}/dicomweb/studies?PatientID=SYSLOG-${searches}`);
      expect(response.status).toBe(200);
      searches++;
      await sleep(300);
    }
    await outage;

    // Everything the trail held at this point reaches the collector (the reads of the trail below
    // add records of their own, which may still be on their way: they are left out).
    const expected = await trail();
    const last = Math.max(...expected.keys());
    const deadline = Date.now() + 45_000;
    while (new Set(received().map((r) => r.seq)).size < last) {
      if (Date.now() > deadline) {
        throw new Error(
          `the collector has ${new Set(received().map((r) => r.seq)).size} of ${last} records\n${app.stdout()}`,
        );
      }
      await sleep(250);
    }
    const upToLast = received().filter((r) => r.tenant === 'default' && r.seq <= last);
    expect(upToLast.map((r) => r.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    for (const record of upToLast) expect(record.hash).toBe(expected.get(record.seq));
    // The searches made during the outage are among them.
    expect(last).toBeGreaterThan(searches);
  }, 120_000);
});
