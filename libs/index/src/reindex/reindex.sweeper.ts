import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import type { IndexerConfig } from '@pacs/config';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import { INDEXER_CONFIG } from '../indexer.tokens';
import { InstanceMetadataReader } from '../metadata/instance-metadata.reader';
import { PeriodicSweeper } from '../study-stable/periodic-sweeper';
import { RunReindexJobsUseCase } from './run-reindex-jobs.use-case';

/**
 * Runs the reindex jobs of the tenants' extra attributes: a look every `reindexIntervalMs` from
 * the application's start, a job resumed at its last recorded batch (after a restart too), until
 * the shutdown begins: the batch in progress ends, then the run stops (before the adapters close).
 * Replicas may all run: a batch recorded by one is not recorded again by another.
 */
@Injectable()
export class ReindexSweeper extends PeriodicSweeper {
  constructor(
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobStore: BlobStore,
    @Inject(INDEXER_CONFIG) config: IndexerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    if (!index) return; // InstanceStoredConsumer refuses to start without it
    const reindex = new RunReindexJobsUseCase(index, new InstanceMetadataReader(blobStore), logger, {
      batchSize: config.reindexBatchSize,
      stopping: () => this.stopping,
    });
    this.schedule(
      'reindex',
      config.reindexIntervalMs,
      async () => {
        await reindex.execute();
      },
      logger,
    );
  }
}
