import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { InstanceStoredV1 } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import { IndexInstanceUseCase } from './index-instance.use-case';

/** The consumer group of the indexer on `instance.stored`. */
export const INDEXER_GROUP = 'indexer';

/**
 * Consumes `instance.stored` and keeps the metadata index. The subscription closes with the event
 * bus at shutdown (it finishes in-flight events and commits).
 */
@Injectable()
export class InstanceStoredConsumer implements OnModuleInit {
  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(METADATA_INDEX) private readonly index: MetadataIndex | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.index) throw new Error('IndexerModule needs the metadata index (runApp metadataIndex: true)');
    const indexInstance = new IndexInstanceUseCase(this.index, this.eventBus);
    await this.eventBus.subscribe(
      InstanceStoredV1,
      async ({ value }) => {
        const outcome = await indexInstance.execute(value);
        this.logger.debug({ tenantId: value.tenantId, sop: value.sopInstanceUid, outcome }, 'instance indexed');
      },
      { group: INDEXER_GROUP },
    );
  }
}

/** The indexer service: imported by the indexer app and the all-in-one app. */
@Module({ providers: [InstanceStoredConsumer] })
export class IndexerModule {}
