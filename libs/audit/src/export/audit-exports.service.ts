import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AUDIT_STORE, type AuditStore } from '@pacs/audit-store';
import { CACHE, type Cache } from '@pacs/cache';
import type { AuditConfig, SyslogCollectorConfig } from '@pacs/config';
import { LOGGER, type Logger } from '@pacs/observability';
import { AUDIT_CONFIG } from '../audit.tokens';
import { SyslogExporter, type SyslogExporterStatus } from '../syslog/syslog-exporter';
import { syslogFormatter } from '../syslog/syslog-message';
import type { SyslogTransport } from '../syslog/syslog-transport';
import { TcpSyslogTransport } from '../syslog/tcp-syslog.transport';
import { TlsSyslogTransport } from '../syslog/tls-syslog.transport';

/**
 * The exports of the audit trail: one syslog exporter per configured collector
 * (PACS_AUDIT_SYSLOG), started with the application and stopped before the store closes. Each
 * sends every tenant's records in chain order from its cursor, so a collector that was down
 * receives the backlog when it is back. Replicas of the audit service share the work through the
 * exporters' leases: one of them sends to a given collector at a time.
 */
@Injectable()
export class AuditExports implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly exporters: SyslogExporter[];

  constructor(
    @Inject(AUDIT_STORE) store: AuditStore,
    @Inject(CACHE) cache: Cache,
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    const host = config.syslog.hostname ?? hostname();
    const format = syslogFormatter({ hostname: host });
    this.exporters = config.syslog.collectors.map(
      (collector) =>
        new SyslogExporter({
          store,
          cache,
          collector: { id: collector.id, transport: transportOf(collector, config) },
          format,
          logger: logger.child({ component: 'audit-syslog', collector: collector.id }),
        }),
    );
  }

  onApplicationBootstrap(): void {
    for (const exporter of this.exporters) exporter.start();
  }

  /** New records were appended: the exporters send them now rather than at their next poll. */
  notify(): void {
    for (const exporter of this.exporters) exporter.notify();
  }

  status(): SyslogExporterStatus[] {
    return this.exporters.map((exporter) => exporter.status());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.stop()));
  }
}

function transportOf(collector: SyslogCollectorConfig, config: AuditConfig): SyslogTransport {
  if (collector.protocol === 'tcp') return new TcpSyslogTransport({ host: collector.host, port: collector.port });
  const { caFile, certFile, keyFile } = config.syslog.tls;
  return new TlsSyslogTransport({
    host: collector.host,
    port: collector.port,
    ...(caFile ? { ca: readFileSync(caFile) } : {}),
    ...(certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : {}),
  });
}
