import { Module, type DynamicModule } from '@nestjs/common';
import { BLOB_STORE } from '@pacs/blob-store';
import { CACHE } from '@pacs/cache';
import type { MetadataIndexConfig, PlatformConfig, RoutingStoreConfig } from '@pacs/config';
import type { TopicDefinition } from '@pacs/contracts';
import { EVENT_BUS } from '@pacs/event-bus';
import { METADATA_INDEX } from '@pacs/metadata-index';
import type { Logger } from '@pacs/observability';
import { ROUTING_STORE } from '@pacs/routing-store';
import type { Registry } from 'prom-client';
import { createBlobStore, createCache, createEventBus, createMetadataIndex, createRoutingStore } from './adapters';
import type { DataDirLock } from './data-dir-lock';
import { HealthController } from './health.controller';
import { PLATFORM_TOPICS, PlatformLifecycle } from './platform-lifecycle.service';
import { DATA_DIR_LOCK, LOGGER, METRICS, PLATFORM_CONFIG } from './platform.tokens';
import { ReadinessService } from './readiness.service';

export interface PlatformModuleOptions {
  readonly config: PlatformConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly lock: DataDirLock | null;
  /** Topics this process provisions at start (with their dead-letter topics). */
  readonly topics: readonly TopicDefinition<unknown>[];
  /** For the apps that read or write the metadata index (gateway, indexer, all-in-one). */
  readonly metadataIndex?: MetadataIndexConfig;
  /** For the apps that route (router, all-in-one). */
  readonly routingStore?: RoutingStoreConfig;
}

/** The ports bound to their adapters, health and metrics endpoints, and the adapters' lifecycle. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const { config, logger } = options;
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers: [
        { provide: PLATFORM_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: METRICS, useValue: options.metrics },
        { provide: DATA_DIR_LOCK, useValue: options.lock },
        { provide: PLATFORM_TOPICS, useValue: options.topics },
        { provide: EVENT_BUS, useFactory: () => createEventBus(config, logger) },
        { provide: CACHE, useFactory: () => createCache(config) },
        { provide: BLOB_STORE, useFactory: () => createBlobStore(config) },
        {
          provide: METADATA_INDEX,
          useFactory: () => (options.metadataIndex ? createMetadataIndex(options.metadataIndex) : null),
        },
        {
          provide: ROUTING_STORE,
          useFactory: () => (options.routingStore ? createRoutingStore(options.routingStore) : null),
        },
        ReadinessService,
        PlatformLifecycle,
      ],
      exports: [
        PLATFORM_CONFIG,
        LOGGER,
        METRICS,
        EVENT_BUS,
        CACHE,
        BLOB_STORE,
        METADATA_INDEX,
        ROUTING_STORE,
        ReadinessService,
      ],
    };
  }
}
