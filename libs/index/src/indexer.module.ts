import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { loadIndexerConfig, type IndexerConfig } from '@pacs/config';
import { InstanceStoredV1 } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import { IndexAttributesController } from './http/index-attributes.controller';
import { IndexInstanceUseCase } from './index-instance.use-case';
import { INDEXER_CONFIG } from './indexer.tokens';
import { InstanceMetadataReader } from './metadata/instance-metadata.reader';
import { ReindexSweeper } from './reindex/reindex.sweeper';
import { StudyStableSweeper } from './study-stable/study-stable.sweeper';

/** The consumer group of the indexer on `instance.stored`. */
export const INDEXER_GROUP = 'indexer';
/** Deliveries of an event before it is dead-lettered; the last indexes a copy it cannot read without metadata. */
const INDEXER_MAX_ATTEMPTS = 5;

/**
 * Consumes `instance.stored` and keeps the metadata index, with each copy's metadata read from
 * the blob store, by batches of up to PACS_INDEX_BATCH_SIZE events of a partition. The subscription closes with the event bus at shutdown (it finishes in-flight
 * events and commits).
 */
@Injectable()
export class InstanceStoredConsumer implements OnModuleInit {
  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(METADATA_INDEX) private readonly index: MetadataIndex | null,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INDEXER_CONFIG) private readonly config: IndexerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.index) throw new Error('IndexerModule needs the metadata index (runApp metadataIndex: true)');
    const indexInstance = new IndexInstanceUseCase(this.index, this.eventBus, {
      metadata: new InstanceMetadataReader(this.blobStore),
      logger: this.logger,
    });
    // In batches: the events of a partition that arrived meanwhile are indexed in one write.
    await this.eventBus.subscribeBatch(
      InstanceStoredV1,
      async (messages) => {
        const lastAttempt = messages.length === 1 && messages[0]!.attempt >= INDEXER_MAX_ATTEMPTS;
        const outcomes = await indexInstance.executeBatch(
          messages.map((message) => message.value),
          { lastAttempt },
        );
        for (const [i, { value }] of messages.entries()) {
          this.logger.debug(
            { tenantId: value.tenantId, sop: value.sopInstanceUid, outcome: outcomes[i] },
            'instance indexed',
          );
        }
      },
      { group: INDEXER_GROUP, maxAttempts: INDEXER_MAX_ATTEMPTS, maxBatchSize: this.config.indexBatchSize },
    );
  }
}

/**
 * The indexer service: imported by the indexer app and the all-in-one app. It consumes
 * `instance.stored`, announces stable studies, serves the tenants' extra indexed attributes
 * (`/tenants/{tenant}/index/...`) and runs their reindex jobs. Its settings
 * (PACS_STUDY_STABLE_SECONDS, PACS_REINDEX_BATCH_SIZE, PACS_REINDEX_INTERVAL_MS,
 * PACS_INDEX_BATCH_SIZE) are read from the
 * environment when the module is built; a wrong value fails the start with a ConfigError naming
 * the variable.
 */
@Module({
  controllers: [IndexAttributesController],
  providers: [
    { provide: INDEXER_CONFIG, useFactory: () => loadIndexerConfig(process.env) },
    InstanceStoredConsumer,
    StudyStableSweeper,
    ReindexSweeper,
  ],
})
export class IndexerModule {}
