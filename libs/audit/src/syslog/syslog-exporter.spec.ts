import { MemoryCache } from '@pacs/cache-memory';
import pino from 'pino';
import { SyslogExporter } from './syslog-exporter';
import { syslogFormatter } from './syslog-message';
import type { SyslogTransport } from './syslog-transport';
import { TcpSyslogTransport } from './tcp-syslog.transport';
import { freePort } from '@pacs/testing';
import { NodeCollector } from './testing/collectors';
import { MemoryAuditStore, sampleAuditEvent } from './testing/memory-audit-store';

const logger = pino({ level: 'silent' });
const format = syslogFormatter({ hostname: 'pacs-test' });

/** `tenant seq` of each message received, read from our structured data. */
function received(messages: readonly Buffer[]): string[] {
  return messages.map((message) => {
    const match = /\[pacs@32473 tenant="([^"]+)" seq="(\d+)"/.exec(message.toString('utf8'));
    if (!match) throw new Error(`no structured data in ${message.toString('utf8').slice(0, 120)}`);
    return `${match[1]} ${match[2]}`;
  });
}

function expected(counts: Record<string, number>): string[] {
  return Object.entries(counts).flatMap(([tenant, n]) => Array.from({ length: n }, (_, i) => `${tenant} ${i + 1}`));
}

async function append(store: MemoryAuditStore, tenant: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.appendEvent(sampleAuditEvent(tenant, i));
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SyslogExporter', () => {
  let store: MemoryAuditStore;
  let cache: MemoryCache;
  let collector: NodeCollector;
  let exporter: SyslogExporter | undefined;
  const replicas: SyslogExporter[] = [];

  beforeEach(() => {
    store = new MemoryAuditStore();
    cache = new MemoryCache();
    collector = new NodeCollector();
  });
  afterEach(async () => {
    await exporter?.stop();
    exporter = undefined;
    await Promise.all(replicas.splice(0).map((replica) => replica.stop()));
    await collector.stop();
    await cache.close();
  });

  function exporterTo(transport: SyslogTransport, options: { batchSize?: number; pollIntervalMs?: number } = {}) {
    exporter = new SyslogExporter({
      store,
      cache,
      collector: { id: 'c1', transport },
      format,
      logger,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      ...options,
    });
    return exporter;
  }

  it("sends every tenant's records in chain order, in batches, and moves the cursors", async () => {
    const port = await collector.start();
    await append(store, 'cardiology', 7);
    await append(store, 'radiology', 4);
    exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port }), { batchSize: 3 }).start();
    await waitFor(() => collector.messages().length === 11);
    expect(received(collector.messages())).toEqual(expected({ cardiology: 7, radiology: 4 }));
    expect(collector.connections).toBe(5); // 3 + 3 + 1, then 3 + 1
    expect(await store.exportCursor('syslog:c1', 'cardiology')).toBe(7);
    expect(await store.exportCursor('syslog:c1', 'radiology')).toBe(4);
    expect(exporter!.status()).toMatchObject({
      delivered: 11,
      failedBatches: 0,
      consecutiveFailures: 0,
      running: true,
    });
  });

  it('starts after the cursor: what was delivered before is not sent again', async () => {
    const port = await collector.start();
    await append(store, 'radiology', 5);
    await store.setExportCursor('syslog:c1', 'radiology', 3);
    exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port })).start();
    await waitFor(() => collector.messages().length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received(collector.messages())).toEqual(['radiology 4', 'radiology 5']);
  });

  it('wakes on notify() rather than waiting for the poll', async () => {
    const port = await collector.start();
    exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port }), { pollIntervalMs: 60_000 }).start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await append(store, 'radiology', 2);
    const started = Date.now();
    exporter!.notify();
    await waitFor(() => collector.messages().length === 2, 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps the backlog while the collector is down and sends it, once, when it is back', async () => {
    const port = await freePort();
    await append(store, 'radiology', 3);
    exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port }), { batchSize: 2 }).start();
    await waitFor(() => exporter!.status().consecutiveFailures >= 2);
    await append(store, 'radiology', 2);
    await append(store, 'cardiology', 1);
    exporter!.notify();
    expect(await store.exportCursor('syslog:c1', 'radiology')).toBe(0);

    await collector.start(port);
    await waitFor(() => collector.messages().length === 6);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received(collector.messages())).toEqual(expected({ cardiology: 1, radiology: 5 }));
    expect(exporter!.status()).toMatchObject({ delivered: 6, consecutiveFailures: 0 });
    expect(exporter!.status().failedBatches).toBeGreaterThanOrEqual(2);
  });

  it('counts nothing of a batch the collector reset, and sends all of it again', async () => {
    const port = await collector.start();
    collector.mode = 'reset';
    await append(store, 'radiology', 4);
    exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port })).start();
    await waitFor(() => exporter!.status().failedBatches >= 2);
    expect(await store.exportCursor('syslog:c1', 'radiology')).toBe(0);
    collector.mode = 'orderly';
    await waitFor(() => collector.messages().length === 4);
    expect(received(collector.messages())).toEqual(expected({ radiology: 4 }));
  });

  it('waits longer after each failure, up to the cap', async () => {
    const attempts: number[] = [];
    const failing: SyslogTransport = {
      target: 'test://down',
      sendBatch: async () => {
        attempts.push(Date.now());
        throw new Error('down');
      },
    };
    await append(store, 'radiology', 1);
    exporterTo(failing).start();
    await waitFor(() => attempts.length >= 6, 3_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 20, 40, 80, then 100 (the cap) each time; timers are never early.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    expect(gaps[3]).toBeGreaterThanOrEqual(99);
    expect(gaps[4]).toBeGreaterThanOrEqual(99);
    expect(gaps[4]).toBeLessThan(250);
  });

  it('stop() waits for the batch in flight and its cursor', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const slow: SyslogTransport = {
      target: 'test://slow',
      sendBatch: () => {
        calls++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    };
    await append(store, 'radiology', 2);
    exporterTo(slow).start();
    await waitFor(() => calls === 1);
    let stopped = false;
    const stopping = exporter!.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await store.exportCursor('syslog:c1', 'radiology')).toBe(2);
    expect(exporter!.status().running).toBe(false);
    expect(calls).toBe(1);
  });

  it('refuses a batch size outside 1 to 1000', () => {
    expect(() => exporterTo(new TcpSyslogTransport({ host: '127.0.0.1', port: 1 }), { batchSize: 0 })).toThrow(
      /batchSize/,
    );
  });

  describe('replicas exporting to one collector', () => {
    /** An exporter of another audit replica: same store, same cache (Redis when distributed), same collector. */
    function replica(transport: SyslogTransport, leaseMs = 1_000): SyslogExporter {
      const next = new SyslogExporter({
        store,
        cache,
        collector: { id: 'c1', transport },
        format,
        logger,
        batchSize: 5,
        pollIntervalMs: 20,
        minBackoffMs: 20,
        maxBackoffMs: 100,
        leaseMs,
      });
      replicas.push(next);
      return next;
    }

    it('send each record once: one holds the lease, the other waits', async () => {
      const port = await collector.start();
      const transport = new TcpSyslogTransport({ host: '127.0.0.1', port });
      const [a, b] = [replica(transport), replica(transport)];
      a.start();
      b.start();
      for (let round = 0; round < 10; round++) {
        await append(store, round % 2 ? 'cardiology' : 'radiology', 4);
        a.notify();
        b.notify();
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await waitFor(() => collector.messages().length >= 40);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const got = received(collector.messages());
      expect(got).toHaveLength(40);
      for (const tenant of ['cardiology', 'radiology']) {
        expect(got.filter((m) => m.startsWith(`${tenant} `))).toEqual(expected({ [tenant]: 20 }));
      }
      expect([a.status().exporting, b.status().exporting].sort()).toEqual([false, true]);
      expect(a.status().delivered + b.status().delivered).toBe(40);
    });

    it('take over from the cursor when the exporting one stops', async () => {
      const port = await collector.start();
      const transport = new TcpSyslogTransport({ host: '127.0.0.1', port });
      const first = replica(transport);
      first.start();
      await append(store, 'radiology', 6);
      await waitFor(() => collector.messages().length === 6);
      const second = replica(transport);
      second.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(second.status().exporting).toBe(false);

      await first.stop();
      await append(store, 'radiology', 3);
      await waitFor(() => collector.messages().length === 9);
      expect(received(collector.messages())).toEqual(expected({ radiology: 9 }));
      expect(second.status()).toMatchObject({ exporting: true, delivered: 3 });
    });

    it('take over when the exporting one stalls past its lease, and the stalled one sends nothing more', async () => {
      const port = await collector.start();
      let stalled = false;
      let resume: () => void = () => undefined;
      const direct = new TcpSyslogTransport({ host: '127.0.0.1', port });
      const stalling: SyslogTransport = {
        target: direct.target,
        sendBatch: async (frames) => {
          if (stalled) await new Promise<void>((resolve) => (resume = resolve));
          await direct.sendBatch(frames);
        },
      };
      const first = replica(stalling, 200);
      first.start();
      await append(store, 'radiology', 5);
      await waitFor(() => collector.messages().length === 5);

      // The first one's next send hangs longer than its 200 ms lease: the second takes over.
      stalled = true;
      await append(store, 'radiology', 5);
      first.notify();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = replica(direct, 200);
      second.start();
      await waitFor(() => collector.messages().length === 10, 3_000);
      expect(second.status().exporting).toBe(true);

      // The stalled batch completes late (a duplicate, the documented corner); after it, the
      // first one finds its lease gone and sends nothing more.
      stalled = false;
      resume();
      await append(store, 'radiology', 5);
      second.notify();
      await waitFor(() => received(collector.messages()).includes('radiology 15'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const last = received(collector.messages()).filter((m) => Number(m.split(' ')[1]) > 10);
      expect(last).toEqual(expected({ radiology: 15 }).slice(10));
      expect(first.status().exporting).toBe(false);
    });
  });
});

