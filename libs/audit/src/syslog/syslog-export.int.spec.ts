import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AuditRecord } from '@pacs/audit-store';
import { renderAuditMessage } from '../xml/audit-message.xml';
import { SyslogExporter } from './syslog-exporter';
import { formatSyslogMessage, type SyslogMessageOptions } from './syslog-message';
import { TcpSyslogTransport } from './tcp-syslog.transport';
import { TlsSyslogTransport } from './tls-syslog.transport';
import { selfSignedCertificate } from '@pacs/dimse/testing';
import { freePort } from '@pacs/testing';
import { RsyslogCollector, SocatTlsCollector } from './testing/collectors';
import { MemoryAuditStore, sampleAuditEvent } from './testing/memory-audit-store';
import { MemoryCache } from '@pacs/cache-memory';

// The exporter against real collectors: Debian's rsyslogd (imtcp, octet-counted frames) stopped
// for 30 s in the middle of a run, and socat as an RFC 5425 TLS listener with mutual authentication.

const MESSAGE_OPTIONS: SyslogMessageOptions = { hostname: 'pacs-test' };
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that keeps the exporter's warnings. */
function recordingLogger(): { logger: pino.Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { level: number; err?: { message?: string } };
        if (entry.level >= 40) warnings.push(entry.err?.message ?? line);
      },
    },
  );
  return { logger, warnings };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The record a received message is about, by the tenant and seq of our structured data. */
function identify(message: Buffer): { tenant: string; seq: number } {
  const match = /^<\d+>1 \S+ \S+ \S+ - IHE\+RFC-3881 \[pacs@32473 tenant="([^"]+)" seq="(\d+)"/.exec(
    message.toString('utf8'),
  );
  if (!match) throw new Error(`not one of our messages: ${message.toString('utf8').slice(0, 200)}`);
  return { tenant: match[1]!, seq: Number(match[2]) };
}

describe('syslog export to real collectors', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'audit-syslog-'));
  });
  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('delivers every record exactly once, in order, across a 30 s rsyslogd outage', async () => {
    const port = await freePort();
    const rsyslog = new RsyslogCollector(folder, port);
    const store = new MemoryAuditStore();
    const { logger, warnings } = recordingLogger();
    const exporter = new SyslogExporter({
      store,
      cache: new MemoryCache(),
      collector: { id: 'rsyslog', transport: new TcpSyslogTransport({ host: '127.0.0.1', port }) },
      format: (record) => formatSyslogMessage(record, MESSAGE_OPTIONS),
      logger,
    });
    const tenants = ['cardiology', 'neurology', 'radiology'];
    const total = 300;
    const started = Date.now();
    const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));

    await rsyslog.start();
    exporter.start();
    try {
      // The collector goes down 5 s in and comes back 30 s later, while records keep coming.
      const outage = (async () => {
        await at(5_000);
        await rsyslog.stop();
        await at(35_000);
        await rsyslog.start();
      })();
      for (let n = 0; n < total; n++) {
        await at(n * 140); // 300 records over 42 s
        await store.appendEvent(sampleAuditEvent(tenants[n % tenants.length]!, n));
        exporter.notify();
      }
      await outage;
      await waitFor(
        async () => {
          for (const tenant of tenants) {
            const head = await store.head(tenant);
            if ((await store.exportCursor('syslog:rsyslog', tenant)) !== head?.seq) return false;
          }
          return true;
        },
        40_000,
        'all records exported',
      );
    } finally {
      await exporter.stop();
      await rsyslog.stop();
    }

    // The outage was seen: batches failed, and were sent again from the cursor.
    expect(exporter.status().failedBatches).toBeGreaterThan(0);
    expect(warnings.length).toBeGreaterThan(0);

    const messages = rsyslog.messages();
    const seen = new Map<string, number[]>();
    for (const message of messages) {
      const { tenant, seq } = identify(message);
      seen.set(tenant, [...(seen.get(tenant) ?? []), seq]);
    }
    for (const tenant of tenants) {
      const count = (await store.head(tenant))!.seq;
      expect({ tenant, seqs: seen.get(tenant) }).toEqual({
        tenant,
        seqs: Array.from({ length: count }, (_, i) => i + 1),
      });
    }
    expect(messages).toHaveLength(total);

    // Each line is the message as sent, PRI to XML; its XML part is the rendered audit message.
    for (const message of messages) {
      const { tenant, seq } = identify(message);
      const record = (await store.get(tenant, seq)) as AuditRecord;
      expect(message.equals(formatSyslogMessage(record, MESSAGE_OPTIONS))).toBe(true);
      const xml = message.subarray(message.indexOf(BOM) + BOM.length).toString('utf8');
      expect(xml).toBe(renderAuditMessage(record.event, { auditSourceId: 'pacs-test/query' }));
    }
  }, 90_000);

  it('delivers over TLS with mutual authentication (RFC 5425), and refuses what does not authenticate', async () => {
    // Two key pairs, each self-signed: the collector's (trusted by us) and ours (trusted by it).
    const keyPair = (name: string) => {
      const dir = join(folder, name);
      mkdirSync(dir);
      return selfSignedCertificate(dir);
    };
    const server = keyPair('collector');
    const client = keyPair('pacs-audit');
    const port = await freePort();
    const socat = new SocatTlsCollector(folder, port, server, client.certFile);
    const ca = readFileSync(server.certFile);
    const cert = readFileSync(client.certFile);
    const key = readFileSync(client.keyFile);
    const store = new MemoryAuditStore();
    for (let n = 0; n < 5; n++) await store.appendEvent(sampleAuditEvent('radiology', n));
    const records = await store.range('radiology', 1, 10);
    const format = (record: AuditRecord) => formatSyslogMessage(record, MESSAGE_OPTIONS);

    await socat.start();
    try {
      // Without our certificate the collector refuses the handshake; without its CA we refuse it.
      const frames = records.slice(0, 1).map((r) => Buffer.concat([Buffer.from(`${format(r).length} `), format(r)]));
      await expect(
        new TlsSyslogTransport({ host: '127.0.0.1', port, ca, timeoutMs: 5_000 }).sendBatch(frames),
      ).rejects.toThrow(/not confirmed/);
      await expect(
        new TlsSyslogTransport({ host: '127.0.0.1', port, cert, key, timeoutMs: 5_000 }).sendBatch(frames),
      ).rejects.toThrow(/self-signed certificate|unable to verify/);

      const exporter = new SyslogExporter({
        store,
        cache: new MemoryCache(),
        collector: {
          id: 'socat',
          transport: new TlsSyslogTransport({ host: '127.0.0.1', port, servername: 'localhost', ca, cert, key }),
        },
        format,
        logger: pino({ level: 'silent' }),
        batchSize: 2,
      });
      exporter.start();
      try {
        await waitFor(
          async () => (await store.exportCursor('syslog:socat', 'radiology')) === 5,
          20_000,
          'records exported over TLS',
        );
      } finally {
        await exporter.stop();
      }
      await sleep(200);
      expect(socat.messages().map((m) => identify(m).seq)).toEqual([1, 2, 3, 4, 5]);
      expect(socat.messages().map((m) => m.toString('base64'))).toEqual(
        records.map((r) => format(r).toString('base64')),
      );
    } finally {
      await socat.stop();
    }
  }, 60_000);
});
