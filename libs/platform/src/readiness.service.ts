import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { AUDIT_STORE, type AuditStore } from '@pacs/audit-store';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { CACHE, type Cache } from '@pacs/cache';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { ROUTING_STORE, type RoutingStore } from '@pacs/routing-store';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail?: unknown }>;
}

/**
 * Readiness: every adapter answers and every consumer has joined its group, and the process is
 * not shutting down (so that a load balancer stops sending before the listener closes).
 */
@Injectable()
export class ReadinessService implements BeforeApplicationShutdown {
  private started = false;
  private stopping = false;

  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(CACHE) private readonly cache: Cache,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(METADATA_INDEX) private readonly metadataIndex: MetadataIndex | null,
    @Inject(ROUTING_STORE) private readonly routingStore: RoutingStore | null,
    @Inject(AUDIT_STORE) private readonly auditStore: AuditStore | null,
  ) {}

  markStarted(): void {
    this.started = true;
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async check(): Promise<ReadinessReport> {
    const bus = this.eventBus.health();
    const waiting = bus.subscriptions.filter((s) => !s.joined).map((s) => `${s.group}@${s.topic}`);
    const [cacheOk, blobOk, indexOk, routingOk, auditOk] = await Promise.all([
      this.cache.isHealthy().catch(() => false),
      this.blobStore.isHealthy().catch(() => false),
      this.metadataIndex?.isHealthy().catch(() => false),
      this.routingStore?.isHealthy().catch(() => false),
      this.auditStore?.isHealthy().catch(() => false),
    ]);
    const checks = {
      lifecycle: {
        ok: this.started && !this.stopping,
        detail: this.stopping ? 'stopping' : this.started ? 'started' : 'starting',
      },
      eventBus: {
        ok: bus.connected && waiting.length === 0,
        detail: { connected: bus.connected, consumers: bus.subscriptions.length, notJoined: waiting },
      },
      cache: { ok: cacheOk },
      blobStore: { ok: blobOk },
      ...(this.metadataIndex ? { metadataIndex: { ok: indexOk === true } } : {}),
      ...(this.routingStore ? { routingStore: { ok: routingOk === true } } : {}),
      ...(this.auditStore ? { auditStore: { ok: auditOk === true } } : {}),
    };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}
