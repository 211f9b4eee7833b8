import { randomUUID } from 'node:crypto';
import { StudyStableV1, type StudyStableEvent } from '@pacs/contracts';
import { EventBusError, type EventBus } from '@pacs/event-bus';
import type { MetadataIndex, QuietStudy } from '@pacs/metadata-index';

/** What the sweep logs through (pino-compatible). */
export interface StableSweepLogger {
  /** An announcement that can never be published (its event does not validate). */
  error(context: Record<string, unknown>, message: string): void;
}

export interface AnnounceStableStudiesOptions {
  /** How long a study must go without a new instance (PACS_STUDY_STABLE_SECONDS). */
  readonly quietMs: number;
  /** Quiet studies asked of the index at once (default 100). */
  readonly batchSize?: number;
  readonly now?: () => Date;
}

const studyKeyOf = (study: { tenantId: string; studyInstanceUid: string }) =>
  `${study.tenantId}/${study.studyInstanceUid}`;

/**
 * One sweep of study stability: the studies quiet for `quietMs` (findQuietStudies) are each
 * marked stable with the index's compare-and-set (markStudyStable), and each one this indexer
 * marked is announced with `study.stable`; a study another replica marked first, or that changed
 * since, is left to it. Marking comes first so that two replicas never both announce a study; an
 * announcement whose publish failed is kept and published first by the next sweep (same event id,
 * so consumers deduplicate), but a crash between marking and publishing loses it.
 */
export class AnnounceStableStudiesUseCase {
  /** Studies marked stable here whose announcement is not published yet, by tenant/study. */
  private readonly unpublished = new Map<string, StudyStableEvent>();
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly index: Pick<MetadataIndex, 'findQuietStudies' | 'markStudyStable'>,
    private readonly eventBus: Pick<EventBus, 'publish'>,
    private readonly logger: StableSweepLogger,
    private readonly options: AnnounceStableStudiesOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.now = options.now ?? (() => new Date());
  }

  /** Runs one sweep; resolves with the number of studies announced, rejects when the index or the bus fails. */
  async execute(): Promise<number> {
    let announced = 0;
    for (const event of [...this.unpublished.values()]) {
      if (await this.publish(event)) announced += 1;
    }
    const quietSince = new Date(this.now().getTime() - this.options.quietMs).toISOString();
    for (;;) {
      const studies = await this.index.findQuietStudies(quietSince, this.batchSize);
      let marked = 0;
      for (const study of studies) {
        if (!(await this.index.markStudyStable(study.tenantId, study.studyInstanceUid, study.lastActivityAt))) continue;
        marked += 1;
        const event = this.eventOf(study);
        this.unpublished.set(studyKeyOf(study), event);
        if (await this.publish(event)) announced += 1;
      }
      // A short batch was the last one; a batch of which none could be marked would come back.
      if (studies.length < this.batchSize || marked === 0) return announced;
    }
  }

  /** Publishes a marked study's announcement; false when it can never be published (dropped, logged). */
  private async publish(event: StudyStableEvent): Promise<boolean> {
    try {
      await this.eventBus.publish(StudyStableV1, event);
    } catch (error) {
      if (!(error instanceof EventBusError && error.code === 'INVALID_EVENT')) throw error;
      this.logger.error(
        { err: error, tenantId: event.tenantId, studyInstanceUid: event.studyInstanceUid },
        'study.stable announcement invalid: dropped',
      );
      this.unpublished.delete(studyKeyOf(event));
      return false;
    }
    this.unpublished.delete(studyKeyOf(event));
    return true;
  }

  private eventOf(study: QuietStudy): StudyStableEvent {
    const eventId = randomUUID();
    return {
      eventId,
      tenantId: study.tenantId,
      occurredAt: this.now().toISOString(),
      // A timer, not a request, starts this chain of events.
      correlationId: eventId,
      causationId: null,
      studyInstanceUid: study.studyInstanceUid,
      seriesCount: study.seriesCount,
      instanceCount: study.instanceCount,
      lastInstanceAt: study.lastActivityAt,
    };
  }
}
