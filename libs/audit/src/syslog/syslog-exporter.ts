import type { AuditStore } from '@pacs/audit-store';
import type { Cache, Lock } from '@pacs/cache';
import type { Logger } from '@pacs/observability';
import { frameSyslogMessage, type SyslogFormatter } from './syslog-message';
import type { SyslogTransport } from './syslog-transport';

/** A syslog collector the audit trail is exported to. */
export interface SyslogCollector {
  /** Stable name: the export cursors are kept under `syslog:<id>`. */
  readonly id: string;
  readonly transport: SyslogTransport;
}

/** The exporter's parts and timings. */
export interface SyslogExporterOptions {
  readonly store: AuditStore;
  /**
   * Where the export lease is taken (the platform's cache: Redis when distributed), so that of
   * several audit replicas exporting to one collector only one sends at a time.
   */
  readonly cache: Cache;
  readonly collector: SyslogCollector;
  readonly format: SyslogFormatter;
  readonly logger: Logger;
  /** Records per batch (one connection each); default 200. */
  readonly batchSize?: number;
  /** Look for new records this often even without notify(); default 5 s. */
  readonly pollIntervalMs?: number;
  /** First delay after a failed batch, doubled at each failure up to maxBackoffMs; default 1 s. */
  readonly minBackoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
  /**
   * How long the export lease lasts unless renewed; renewed before every batch and every pass
   * (default 15 s). After a crash, another replica exports within this plus one poll interval.
   * A lease that runs out while its holder waits out a collector failure is harmless: whoever
   * takes it next sends from the shared cursors.
   */
  readonly leaseMs?: number;
}

/** What the exporter has done, for health and metrics. */
export interface SyslogExporterStatus {
  readonly collector: string;
  readonly running: boolean;
  /** Whether this replica holds the export lease (another one exports while it does not). */
  readonly exporting: boolean;
  /** Records confirmed since start. */
  readonly delivered: number;
  /** Batches not confirmed since start. */
  readonly failedBatches: number;
  /** Consecutive failures now (0 when the collector is reachable). */
  readonly consecutiveFailures: number;
  readonly lastError?: string;
}

/**
 * Exports each tenant's audit trail to a syslog collector, in chain order, every record exactly
 * once as long as the collector confirms batches by closing (see deliverBatch).
 *
 * The backlog is the audit store itself: per tenant, a cursor (`exportCursor`, the last seq the
 * collector confirmed) moves forward only after a confirmed batch, and the next batch starts after
 * it. While the collector is down, batches fail and the exporter waits 1 s, 2 s, 4 s ... up to 30 s
 * between attempts; when it is back, it resends from the cursor. A batch confirmed but whose cursor
 * could not be saved (a crash in between) is sent again: at least once, in that corner only.
 *
 * Several audit replicas may run an exporter to the same collector: each pass is made under a
 * lease (a lock named after the collector in the platform's cache), renewed before every batch, so
 * only the holder sends; the others wait and take over, from the shared cursors, when it stops or
 * its lease runs out. A holder that stalls past its lease and then sends is the one other corner
 * where a batch may arrive twice.
 */
export class SyslogExporter {
  private readonly exporterName: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly leaseName: string;
  private readonly leaseMs: number;

  private lease: Lock | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private notified = false;
  private wake: (() => void) | undefined;
  private delivered = 0;
  private failedBatches = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;

  constructor(private readonly options: SyslogExporterOptions) {
    this.exporterName = `syslog:${options.collector.id}`;
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.minBackoffMs = options.minBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.leaseName = `audit-export:${this.exporterName}`;
    this.leaseMs = options.leaseMs ?? 15_000;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 1000) {
      throw new Error(`syslog exporter: batchSize ${this.batchSize} is not 1 to 1000`);
    }
  }

  /** Starts the export loop (no-op when running). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** New records were appended: export them now, unless waiting out a collector failure. */
  notify(): void {
    this.notified = true;
    if (this.consecutiveFailures === 0) this.wake?.();
  }

  /**
   * Stops the loop; waits for the batch in flight (confirmed or failed) and its cursor, then gives
   * the lease back so that another replica takes over at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const loop = this.loop;
    this.loop = undefined;
    await loop;
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release().catch(() => false);
  }

  /** Counters since start. */
  status(): SyslogExporterStatus {
    return {
      collector: this.options.collector.transport.target,
      running: this.loop !== undefined,
      exporting: this.lease !== undefined,
      delivered: this.delivered,
      failedBatches: this.failedBatches,
      consecutiveFailures: this.consecutiveFailures,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.notified = false;
      let delay = this.pollIntervalMs;
      try {
        if (!(await this.holdLease())) {
          // Another replica exports; look again at the next poll, in case it has gone.
          this.consecutiveFailures = 0;
          await this.sleep(this.pollIntervalMs);
          continue;
        }
        await this.exportAll();
        if (this.consecutiveFailures > 0) {
          this.options.logger.info(
            { collector: this.options.collector.id, target: this.options.collector.transport.target },
            'syslog collector reachable again, audit export resumed',
          );
        }
        this.consecutiveFailures = 0;
      } catch (error) {
        this.failedBatches++;
        this.consecutiveFailures++;
        this.lastError = error instanceof Error ? error.message : String(error);
        delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (this.consecutiveFailures - 1));
        this.options.logger.warn(
          {
            collector: this.options.collector.id,
            target: this.options.collector.transport.target,
            consecutiveFailures: this.consecutiveFailures,
            retryInMs: delay,
            err: error,
          },
          'syslog audit export failed, will resend from the cursor',
        );
      }
      if (this.stopping) break;
      // After a success, records appended meanwhile go at once; after a failure, the full delay.
      if (this.notified && this.consecutiveFailures === 0) continue;
      await this.sleep(delay);
    }
  }

  /**
   * Takes the export lease, or renews it when held; false when another replica holds it. A lease
   * that ran out (this process stalled, or the cache lost it) is taken again only if still free.
   */
  private async holdLease(): Promise<boolean> {
    if (this.lease && (await this.lease.extend(this.leaseMs))) return true;
    if (this.lease) {
      this.options.logger.warn({ collector: this.options.collector.id }, 'audit export lease lost');
      this.lease = undefined;
    }
    this.lease = (await this.options.cache.acquireLock(this.leaseName, this.leaseMs)) ?? undefined;
    if (this.lease) {
      this.options.logger.info({ collector: this.options.collector.id }, 'audit export lease taken, exporting');
    }
    return this.lease !== undefined;
  }

  /** Sends every tenant's records after its cursor, batch by batch; throws at the first failure. */
  private async exportAll(): Promise<void> {
    const { store, collector, format } = this.options;
    for (const tenantId of await store.tenants()) {
      let cursor = await store.exportCursor(this.exporterName, tenantId);
      while (!this.stopping) {
        const records = await store.range(tenantId, cursor + 1, this.batchSize);
        const first = records[0];
        const last = records[records.length - 1];
        if (!first || !last) break;
        // Renewed before each send: a replica that lost its lease sends nothing more.
        if (!(await this.lease?.extend(this.leaseMs))) throw new Error('the audit export lease was lost');
        await collector.transport.sendBatch(records.map((record) => frameSyslogMessage(format(record))));
        await store.setExportCursor(this.exporterName, tenantId, last.seq);
        this.delivered += records.length;
        cursor = last.seq;
        this.options.logger.debug(
          { collector: collector.id, tenantId, fromSeq: first.seq, toSeq: last.seq },
          'audit records exported to syslog',
        );
        if (records.length < this.batchSize) break;
      }
      if (this.stopping) return;
    }
  }

  /** Waits `ms`, or less when notify() or stop() wakes it. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
