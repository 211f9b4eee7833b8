import { createHash } from 'node:crypto';
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

/**
 * One sweep of study stability: each study quiet for `quietMs` (findQuietStudies) is announced
 * with `study.stable`, then marked stable with the index's compare-and-set (markStudyStable), so
 * that the sweeps stop finding it. Publishing comes first so that nothing is lost: a crash or a
 * failed publish leaves the study unmarked, and the next sweep announces it again. The event id
 * is derived from the tenant, the study and its last activity, so that the same announcement
 * published twice (after a crash, or by two replicas sweeping at once) carries the same id and
 * consumers deduplicate it; a study that received an instance since is announced anew once quiet
 * again, with a new id.
 */
export class AnnounceStableStudiesUseCase {
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

  /**
   * Runs one sweep; resolves with the number of studies it announced and marked stable, rejects
   * when the index or the bus fails.
   */
  async execute(): Promise<number> {
    let announced = 0;
    const quietSince = new Date(this.now().getTime() - this.options.quietMs).toISOString();
    for (;;) {
      const studies = await this.index.findQuietStudies(quietSince, this.batchSize);
      let marked = 0;
      for (const study of studies) {
        const published = await this.publish(this.eventOf(study));
        if (!(await this.index.markStudyStable(study.tenantId, study.studyInstanceUid, study.lastActivityAt))) continue;
        marked += 1;
        if (published) announced += 1;
      }
      // A short batch was the last one; a batch of which none could be marked would come back.
      if (studies.length < this.batchSize || marked === 0) return announced;
    }
  }

  /**
   * Publishes an announcement; false for one that can never validate: logged and dropped (the
   * study is marked all the same, or every sweep would try it again).
   */
  private async publish(event: StudyStableEvent): Promise<boolean> {
    try {
      await this.eventBus.publish(StudyStableV1, event);
      return true;
    } catch (error) {
      if (!(error instanceof EventBusError && error.code === 'INVALID_EVENT')) throw error;
      this.logger.error(
        { err: error, tenantId: event.tenantId, studyInstanceUid: event.studyInstanceUid },
        'study.stable announcement invalid: dropped',
      );
      return false;
    }
  }

  private eventOf(study: QuietStudy): StudyStableEvent {
    const eventId = stableEventId(study);
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

/**
 * The announcement's id, the same for the same study and activity: a name-based UUID (RFC 9562
 * version 8) from SHA-256 of the tenant, the study and its last activity.
 */
export function stableEventId(study: Pick<QuietStudy, 'tenantId' | 'studyInstanceUid' | 'lastActivityAt'>): string {
  const bytes = createHash('sha256')
    .update(['study.stable', study.tenantId, study.studyInstanceUid, study.lastActivityAt].join('\0'))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
