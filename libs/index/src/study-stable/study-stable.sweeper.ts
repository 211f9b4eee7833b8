import { Inject, Injectable } from '@nestjs/common';
import type { IndexerConfig } from '@pacs/config';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import { INDEXER_CONFIG } from '../indexer.tokens';
import { AnnounceStableStudiesUseCase } from './announce-stable-studies.use-case';
import { PeriodicSweeper } from './periodic-sweeper';

/**
 * Announces stable studies (`study.stable`): a sweep every `stableSweepIntervalMs` from the
 * application's start (the adapters are started then) until its shutdown begins (before the
 * adapters close; an in-flight sweep is awaited). Replicas may all sweep: the index's
 * compare-and-set lets one mark each study (an announcement both publish carries one event id).
 */
@Injectable()
export class StudyStableSweeper extends PeriodicSweeper {
  constructor(
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(EVENT_BUS) eventBus: EventBus,
    @Inject(INDEXER_CONFIG) config: IndexerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    if (!index) return; // InstanceStoredConsumer refuses to start without it
    const announce = new AnnounceStableStudiesUseCase(index, eventBus, logger, { quietMs: config.studyStableMs });
    this.schedule(
      'study-stable-sweep',
      config.stableSweepIntervalMs,
      async () => {
        const announced = await announce.execute();
        if (announced > 0) logger.info({ announced }, 'stable studies announced');
      },
      logger,
    );
  }
}
