import { z } from 'zod';
import { positiveIntVar } from './env-types';
import { parseEnv, type Env } from './parse-env';

/** The indexer's settings (the indexer app and the all-in-one app). */
export interface IndexerConfig {
  /** A study is announced stable (`study.stable`) once no instance arrived in it for this long. */
  readonly studyStableMs: number;
  /** How often the indexer looks for quiet studies (derived from the quiet time). */
  readonly stableSweepIntervalMs: number;
  /** Copies a reindex job (a tenant's new extra attributes) reads and writes at once. */
  readonly reindexBatchSize: number;
  /** How often the indexer looks for reindex jobs to run or resume. */
  readonly reindexIntervalMs: number;
  /** Most `instance.stored` events of a partition indexed together (one index transaction). */
  readonly indexBatchSize: number;
}

/** A week: a study still receiving images after that is not waiting to become stable. */
const MAX_STUDY_STABLE_SECONDS = 7 * 24 * 3600;

/** A batch holds the metadata of its copies in memory: a bound keeps it to some megabytes. */
const MAX_REINDEX_BATCH_SIZE = 10_000;
const MAX_REINDEX_INTERVAL_MS = 3_600_000;
/** A batch's metadata is held in memory at once (some kB per copy, up to about 1 MB). */
const MAX_INDEX_BATCH_SIZE = 1000;

const indexerEnvSchema = z.object({
  PACS_STUDY_STABLE_SECONDS: positiveIntVar(60).refine((n) => n <= MAX_STUDY_STABLE_SECONDS, {
    message: `expected at most ${MAX_STUDY_STABLE_SECONDS} seconds (a week)`,
  }),
  PACS_REINDEX_BATCH_SIZE: positiveIntVar(200).refine((n) => n <= MAX_REINDEX_BATCH_SIZE, {
    message: `expected at most ${MAX_REINDEX_BATCH_SIZE} copies`,
  }),
  PACS_REINDEX_INTERVAL_MS: positiveIntVar(2000).refine((n) => n <= MAX_REINDEX_INTERVAL_MS, {
    message: `expected at most ${MAX_REINDEX_INTERVAL_MS} ms (an hour)`,
  }),
  PACS_INDEX_BATCH_SIZE: positiveIntVar(100).refine((n) => n <= MAX_INDEX_BATCH_SIZE, {
    message: `expected at most ${MAX_INDEX_BATCH_SIZE} events`,
  }),
});

/**
 * A quarter of the quiet time, within 250 ms and 30 s: a study is announced between the quiet
 * time and the quiet time plus one interval after its last instance, and a sweep is one query.
 */
export function stableSweepIntervalMs(studyStableMs: number): number {
  return Math.min(30_000, Math.max(250, Math.round(studyStableMs / 4)));
}

/**
 * Reads PACS_STUDY_STABLE_SECONDS (default 60), PACS_REINDEX_BATCH_SIZE (default 200),
 * PACS_REINDEX_INTERVAL_MS (default 2000) and PACS_INDEX_BATCH_SIZE (default 100); a ConfigError
 * names each variable that is wrong.
 */
export function loadIndexerConfig(env: Env): IndexerConfig {
  const e = parseEnv(indexerEnvSchema, env);
  const studyStableMs = e.PACS_STUDY_STABLE_SECONDS * 1000;
  return {
    studyStableMs,
    stableSweepIntervalMs: stableSweepIntervalMs(studyStableMs),
    reindexBatchSize: e.PACS_REINDEX_BATCH_SIZE,
    reindexIntervalMs: e.PACS_REINDEX_INTERVAL_MS,
    indexBatchSize: e.PACS_INDEX_BATCH_SIZE,
  };
}
