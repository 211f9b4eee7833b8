import {
  MAX_REINDEX_ERRORS,
  type MetadataIndex,
  type ReindexError,
  type ReindexJob,
  type ReindexedCopy,
} from '@pacs/metadata-index';
import type { InstanceMetadataSource } from '../index-instance.use-case';

/** What the runner logs through (pino-compatible): a constant message and a context object. */
export interface ReindexLogger {
  info(context: Record<string, unknown>, message: string): void;
  /** A copy whose metadata could not be read: its extras came from its index attributes. */
  warn(context: Record<string, unknown>, message: string): void;
}

/** The index operations a reindex runs on. */
export type ReindexIndex = Pick<
  MetadataIndex,
  | 'findUnfinishedReindexJobs'
  | 'getReindexJob'
  | 'getExtraAttributes'
  | 'listReindexCopies'
  | 'applyExtraAttributes'
  | 'recordReindexProgress'
>;

export interface RunReindexJobsOptions {
  /** Copies read and written at once. */
  readonly batchSize: number;
  /** Asked between batches: true stops the run (shutdown); the job resumes at its last batch. */
  readonly stopping?: () => boolean;
}

// Jobs looked at per run; there is one per tenant at most.
const JOBS_PER_RUN = 100;

/**
 * Runs the reindex jobs of the tenants' extra attributes (MetadataIndex.setExtraAttributes): for
 * each unfinished job, batch after batch, the tenant's current copies in SOP Instance UID order
 * get the attributes of the job's list, picked from the metadata the index holds (no blob read),
 * else from the stored copy read again, else (unreadable: an error of the job) from the copy's
 * index attributes. Each batch's progress is recorded in the index, so that a job resumes after
 * its last batch after a restart; a batch done twice (two runners, a crash before its progress
 * was recorded) writes the same again. A job stops when its list is replaced (superseded).
 */
export class RunReindexJobsUseCase {
  constructor(
    private readonly index: ReindexIndex,
    private readonly metadata: InstanceMetadataSource,
    private readonly logger: ReindexLogger,
    private readonly options: RunReindexJobsOptions,
  ) {}

  /** Runs every unfinished job to its end, or until stopping; the number of batches recorded. */
  async execute(): Promise<number> {
    let batches = 0;
    for (const job of await this.index.findUnfinishedReindexJobs(JOBS_PER_RUN)) {
      if (this.stopping()) break;
      batches += await this.run(job);
    }
    return batches;
  }

  private async run(started: ReindexJob): Promise<number> {
    let job: ReindexJob | undefined = started;
    let recorded = 0;
    while (job && (job.state === 'pending' || job.state === 'running') && !this.stopping()) {
      if (await this.runBatch(job)) recorded += 1;
      job = await this.index.getReindexJob(job.tenantId, job.id);
      if (job?.state === 'done') {
        const { id, tenantId, generation, done, total, errorCount } = job;
        this.logger.info({ jobId: id, tenantId, generation, done, total, errorCount }, 'reindex job done');
      }
    }
    return recorded;
  }

  /** One batch after the job's cursor; whether its progress was recorded by this runner. */
  private async runBatch(job: ReindexJob): Promise<boolean> {
    const list = await this.index.getExtraAttributes(job.tenantId);
    // The list of the job's generation is the tenant's own until replaced.
    if (list.generation !== job.generation) return false;
    const batch = job.batches + 1;
    if (list.attributes.length === 0) {
      // Nothing to give: every copy has what the list holds.
      const progress = { ...this.totals(job, job.total), batch, errorCount: 0, errors: [], finished: true };
      return this.index.recordReindexProgress(job.tenantId, job.id, progress);
    }
    const copies = await this.index.listReindexCopies(job.tenantId, job.cursor, this.options.batchSize);
    const errors: ReindexError[] = [...job.errors];
    let errorCount = job.errorCount;
    const reindexed: ReindexedCopy[] = [];
    for (const { instance, metadata } of copies) {
      let source = metadata;
      if (source === undefined) {
        try {
          source = await this.metadata.read(instance);
        } catch (error) {
          errorCount += 1;
          const message = (error as Error).message;
          if (errors.length < MAX_REINDEX_ERRORS) errors.push({ sopInstanceUid: instance.sopInstanceUid, message });
          this.logger.warn(
            { err: error, jobId: job.id, tenantId: job.tenantId, sopInstanceUid: instance.sopInstanceUid },
            'stored copy unreadable: extra attributes taken from its index attributes',
          );
          source = instance.attributes;
        }
      }
      reindexed.push({ sopInstanceUid: instance.sopInstanceUid, version: instance.version, metadata: source });
    }
    await this.index.applyExtraAttributes(job.tenantId, job.generation, reindexed);
    const last = copies.at(-1)?.instance.sopInstanceUid ?? job.cursor;
    return this.index.recordReindexProgress(job.tenantId, job.id, {
      ...this.totals(job, job.done + copies.length),
      batch,
      ...(last !== undefined ? { cursor: last } : {}),
      errorCount,
      errors,
      finished: copies.length < this.options.batchSize,
    });
  }

  /** Copies done, and to do: copies indexed since the job was created may add to its total. */
  private totals(job: ReindexJob, done: number): { done: number; total: number } {
    return { done, total: Math.max(job.total, done) };
  }

  private stopping(): boolean {
    return this.options.stopping?.() ?? false;
  }
}
