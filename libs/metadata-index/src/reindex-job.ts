import type { DicomJsonDataset } from '@pacs/dicom';
import { MetadataIndexError } from './metadata-index.errors';
import type { StoredInstance } from './metadata-index.port';

/**
 * Where a reindex job is: `pending` before its first batch, `running` after it, `done` once every
 * current copy of the tenant was given the attributes, `superseded` when a newer list replaced its
 * own before it was done (the newer one's job does the work).
 */
export type ReindexJobState = 'pending' | 'running' | 'done' | 'superseded';

/** A copy the job could not read the metadata of: its extras came from its index attributes. */
export interface ReindexError {
  readonly sopInstanceUid: string;
  readonly message: string;
}

/** At most this many errors are kept per job; errorCount counts them all. */
export const MAX_REINDEX_ERRORS = 100;

/** What a job has done, as of its last batch (the counts are cumulative). */
export interface ReindexProgress {
  /** The batch's number: 1, 2, ...; a runner that recorded it first wins. */
  readonly batch: number;
  /** The SOP Instance UID of the last copy done: the next batch starts after it. */
  readonly cursor?: string;
  /** Copies done. */
  readonly done: number;
  /** Copies to do: the tenant's current copies when the job was created, or more once done is past it. */
  readonly total: number;
  readonly errorCount: number;
  /** The first MAX_REINDEX_ERRORS errors. */
  readonly errors: readonly ReindexError[];
  /** The batch was the last: the job is done. */
  readonly finished: boolean;
}

/** A reindex job: it gives every current copy of a tenant the extra attributes of its generation. */
export interface ReindexJob {
  readonly id: string;
  readonly tenantId: string;
  /** The generation of the tenant's extra attributes it applies. */
  readonly generation: number;
  readonly state: ReindexJobState;
  /** ISO 8601. */
  readonly createdAt: string;
  /** When its last batch was recorded (createdAt before). */
  readonly updatedAt: string;
  readonly batches: number;
  readonly cursor?: string;
  readonly done: number;
  readonly total: number;
  readonly errorCount: number;
  readonly errors: readonly ReindexError[];
}

/** A current copy as a reindex job reads it: with its stored metadata, when the index has it. */
export interface ReindexCopy {
  readonly instance: StoredInstance;
  readonly metadata?: DicomJsonDataset;
}

/** The extras to store of one copy: its metadata, else its index attributes. */
export interface ReindexedCopy {
  readonly sopInstanceUid: string;
  readonly version: number;
  readonly metadata: DicomJsonDataset;
}

/**
 * A job as the adapters store it: what its creation recorded (the tenant's list of that
 * generation), its last recorded progress, and the tenant's current generation.
 */
export function reindexJobOf(
  created: {
    readonly id: string;
    readonly tenantId: string;
    readonly generation: number;
    readonly createdAt: string;
    readonly total: number;
  },
  progress: (ReindexProgress & { readonly recordedAt: string }) | undefined,
  currentGeneration: number,
): ReindexJob {
  const state: ReindexJobState = progress?.finished
    ? 'done'
    : created.generation < currentGeneration
      ? 'superseded'
      : progress
        ? 'running'
        : 'pending';
  return {
    id: created.id,
    tenantId: created.tenantId,
    generation: created.generation,
    state,
    createdAt: created.createdAt,
    updatedAt: progress?.recordedAt ?? created.createdAt,
    batches: progress?.batch ?? 0,
    ...(progress?.cursor !== undefined ? { cursor: progress.cursor } : {}),
    done: progress?.done ?? 0,
    total: progress?.total ?? created.total,
    errorCount: progress?.errorCount ?? 0,
    errors: progress?.errors ?? [],
  };
}

/** A progress to record: counts that are whole numbers, a positive batch; INVALID_ARGUMENT otherwise. */
export function checkReindexProgress(progress: ReindexProgress): void {
  const bad = (message: string) => new MetadataIndexError('INVALID_ARGUMENT', `reindex progress: ${message}`, false);
  if (!Number.isSafeInteger(progress.batch) || progress.batch < 1) throw bad(`batch ${progress.batch}`);
  for (const field of ['done', 'total', 'errorCount'] as const) {
    if (!Number.isSafeInteger(progress[field]) || progress[field] < 0) throw bad(`${field} ${progress[field]}`);
  }
  if (progress.errors.length > MAX_REINDEX_ERRORS) throw bad(`more than ${MAX_REINDEX_ERRORS} errors kept`);
}
