import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { applicationActivityEvent, AuditTrail } from '@pacs/audit-records';
import { AUDIT_STORE, type AuditStore } from '@pacs/audit-store';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { CACHE, type Cache } from '@pacs/cache';
import type { IdentityConfig, PlatformConfig } from '@pacs/config';
import type { TopicDefinition } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { IDENTITY_CONFIG } from '@pacs/identity';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { Logger } from '@pacs/observability';
import { ROUTING_STORE, type RoutingStore } from '@pacs/routing-store';
import type { DataDirLock } from './data-dir-lock';
import { DATA_DIR_LOCK, LOGGER, PLATFORM_CONFIG } from './platform.tokens';

export const PLATFORM_TOPICS = Symbol('PLATFORM_TOPICS');

/**
 * Connects the adapters before any service module starts consuming (services import the
 * platform module, so Nest initialises it first), and closes them after the HTTP listener has
 * drained at shutdown (onApplicationShutdown runs after the server closed). Records the
 * application's start and stop on the audit trail (PS3.15 A.5.3.1), in the default tenant's trail:
 * the process serves every tenant.
 */
@Injectable()
export class PlatformLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(CACHE) private readonly cache: Cache,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(METADATA_INDEX) private readonly metadataIndex: MetadataIndex | null,
    @Inject(ROUTING_STORE) private readonly routingStore: RoutingStore | null,
    @Inject(AUDIT_STORE) private readonly auditStore: AuditStore | null,
    private readonly auditTrail: AuditTrail,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(IDENTITY_CONFIG) private readonly identity: IdentityConfig,
    @Inject(PLATFORM_TOPICS) private readonly topics: readonly TopicDefinition<unknown>[],
    @Inject(DATA_DIR_LOCK) private readonly lock: DataDirLock | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await Promise.all([
      this.eventBus.start(this.topics),
      this.blobStore.start(),
      this.metadataIndex?.start(),
      this.routingStore?.start(),
      this.auditStore?.start(),
    ]);
    this.logger.info({ topics: this.topics.length }, 'event bus started');
  }

  onApplicationBootstrap(): void {
    this.auditTrail.publish([this.activity('start')]);
  }

  /** The stop record is made durable while the event bus is still open (it closes at onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    try {
      await this.auditTrail.publishDurably([this.activity('stop')]);
    } catch (error) {
      this.logger.error({ err: error }, 'audit event not published');
    }
  }

  private activity(activity: 'start' | 'stop') {
    return applicationActivityEvent(
      { tenantId: this.identity.defaultTenantId, service: this.config.service, activity },
      new Date(),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const results = await Promise.allSettled([
      this.eventBus.close(),
      this.cache.close(),
      this.blobStore.close(),
      this.metadataIndex?.close(),
      this.routingStore?.close(),
      this.auditStore?.close(),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') this.logger.error({ err: result.reason }, 'adapter close failed');
    }
    this.lock?.release();
    this.logger.info({}, 'adapters closed');
  }
}
