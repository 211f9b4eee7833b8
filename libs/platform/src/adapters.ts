import type { AuditStore } from '@pacs/audit-store';
import { MongoAuditStore } from '@pacs/audit-store-mongodb';
import { SqliteAuditStore } from '@pacs/audit-store-sqlite';
import type { BlobStore } from '@pacs/blob-store';
import { FsBlobStore } from '@pacs/blob-store-fs';
import { S3BlobStore } from '@pacs/blob-store-s3';
import type { Cache } from '@pacs/cache';
import { MemoryCache } from '@pacs/cache-memory';
import { RedisCache } from '@pacs/cache-redis';
import type { AuditStoreConfig, MetadataIndexConfig, PlatformConfig, RoutingStoreConfig } from '@pacs/config';
import type { EventBus } from '@pacs/event-bus';
import { KafkaEventBus } from '@pacs/event-bus-kafka';
import { SqliteEventBus } from '@pacs/event-bus-sqlite';
import type { MetadataIndex } from '@pacs/metadata-index';
import { MongoMetadataIndex } from '@pacs/metadata-index-mongodb';
import { SqliteMetadataIndex } from '@pacs/metadata-index-sqlite';
import type { Logger } from '@pacs/observability';
import type { RoutingStore } from '@pacs/routing-store';
import { MongoRoutingStore } from '@pacs/routing-store-mongodb';
import { SqliteRoutingStore } from '@pacs/routing-store-sqlite';

// The one place where a port is bound to an adapter: the configuration decides, nothing else
// in the code branches on the shape (embedded or distributed).

export function createEventBus(config: PlatformConfig, logger: Logger): EventBus {
  const busLogger = logger.child({ component: 'event-bus' });
  switch (config.eventBus.adapter) {
    case 'sqlite':
      return new SqliteEventBus({ file: config.eventBus.file, logger: busLogger });
    case 'kafka':
      return new KafkaEventBus({
        brokers: [...config.eventBus.brokers],
        clientId: config.eventBus.clientId,
        partitions: config.eventBus.partitions,
        replicationFactor: config.eventBus.replicationFactor,
        logger: busLogger,
      });
  }
}

export function createCache(config: PlatformConfig): Cache {
  switch (config.cache.adapter) {
    case 'memory':
      return new MemoryCache();
    case 'redis':
      return new RedisCache({ url: config.cache.url, keyPrefix: config.cache.keyPrefix });
  }
}

export function createBlobStore(config: PlatformConfig): BlobStore {
  switch (config.blobStore.adapter) {
    case 'fs':
      return new FsBlobStore({ root: config.blobStore.root });
    case 's3':
      return new S3BlobStore({ ...config.blobStore, createBucket: true });
  }
}

export function createMetadataIndex(config: MetadataIndexConfig): MetadataIndex {
  switch (config.adapter) {
    case 'sqlite':
      return new SqliteMetadataIndex({ file: config.file });
    case 'mongodb':
      return new MongoMetadataIndex({ url: config.url, database: config.database });
  }
}

export function createRoutingStore(config: RoutingStoreConfig): RoutingStore {
  switch (config.adapter) {
    case 'sqlite':
      return new SqliteRoutingStore({ file: config.file });
    case 'mongodb':
      return new MongoRoutingStore({
        url: config.url,
        database: config.database,
        collectionPrefix: config.collectionPrefix,
      });
  }
}

export function createAuditStore(config: AuditStoreConfig): AuditStore {
  switch (config.adapter) {
    case 'sqlite':
      return new SqliteAuditStore({ file: config.file });
    case 'mongodb':
      return new MongoAuditStore({
        url: config.url,
        database: config.database,
        collectionPrefix: config.collectionPrefix,
      });
  }
}
