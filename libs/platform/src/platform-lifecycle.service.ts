import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { CACHE, type Cache } from '@pacs/cache';
import type { TopicDefinition } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { Logger } from '@pacs/observability';
import { ROUTING_STORE, type RoutingStore } from '@pacs/routing-store';
import type { DataDirLock } from './data-dir-lock';
import { DATA_DIR_LOCK, LOGGER } from './platform.tokens';

export const PLATFORM_TOPICS = Symbol('PLATFORM_TOPICS');

/**
 * Connects the adapters before any service module starts consuming (services import the
 * platform module, so Nest initialises it first), and closes them after the HTTP listener has
 * drained at shutdown (onApplicationShutdown runs after the server closed).
 */
@Injectable()
export class PlatformLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(CACHE) private readonly cache: Cache,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(METADATA_INDEX) private readonly metadataIndex: MetadataIndex | null,
    @Inject(ROUTING_STORE) private readonly routingStore: RoutingStore | null,
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
    ]);
    this.logger.info({ topics: this.topics.length }, 'event bus started');
  }

  async onApplicationShutdown(): Promise<void> {
    const results = await Promise.allSettled([
      this.eventBus.close(),
      this.cache.close(),
      this.blobStore.close(),
      this.metadataIndex?.close(),
      this.routingStore?.close(),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') this.logger.error({ err: result.reason }, 'adapter close failed');
    }
    this.lock?.release();
    this.logger.info({}, 'adapters closed');
  }
}
