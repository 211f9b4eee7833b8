import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditTrail } from '@pacs/audit-records';
import { BLOB_STORE } from '@pacs/blob-store';
import { CACHE } from '@pacs/cache';
import { AUDIT_STORE } from '@pacs/audit-store';
import type {
  AuditStoreConfig,
  IdentityConfig,
  MetadataIndexConfig,
  PlatformConfig,
  RoutingStoreConfig,
} from '@pacs/config';
import type { TopicDefinition } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { IDENTITY_CONFIG, identityProviders, AuditedRouteInterceptor } from '@pacs/identity';
import { METADATA_INDEX } from '@pacs/metadata-index';
import type { Logger } from '@pacs/observability';
import { ROUTING_STORE } from '@pacs/routing-store';
import type { Registry } from 'prom-client';
import {
  createAuditStore,
  createBlobStore,
  createCache,
  createEventBus,
  createMetadataIndex,
  createRoutingStore,
} from './adapters';
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
  /** For the apps that keep the audit trail (audit, all-in-one). */
  readonly auditStore?: AuditStoreConfig;
  /**
   * Who may call the HTTP routes (runApp always gives it). Without it, as in an application
   * context that serves no HTTP, local mode: every request is the local user with every role.
   */
  readonly identity?: IdentityConfig;
  /** False only to measure what auditing costs (PACS_AUDIT_ENABLED=false); default true. */
  readonly auditEnabled?: boolean;
}

const LOCAL_MODE: IdentityConfig = { defaultTenantId: 'default', apiKeys: null, oidc: null };

/**
 * The ports bound to their adapters, health and metrics endpoints, the adapters' lifecycle, and
 * access control on every HTTP route (AccessGuard, from the IdentityConfig).
 */
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
        {
          provide: AUDIT_STORE,
          useFactory: () => (options.auditStore ? createAuditStore(options.auditStore) : null),
        },
        {
          // The audit trail every service publishes its `audit.event` records through (one line per call site).
          provide: AuditTrail,
          inject: [EVENT_BUS],
          useFactory: (eventBus: EventBus) =>
            new AuditTrail(eventBus, logger.child({ component: 'audit' }), { enabled: options.auditEnabled ?? true }),
        },
        // Every route declares its roles (@Access) or that it is public (@PublicRoute).
        ...identityProviders(options.identity ?? LOCAL_MODE, config.service),
        // The routes marked @AuditedRoute are recorded once answered.
        { provide: APP_INTERCEPTOR, useClass: AuditedRouteInterceptor },
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
        AUDIT_STORE,
        AuditTrail,
        IDENTITY_CONFIG,
        ReadinessService,
      ],
    };
  }
}
