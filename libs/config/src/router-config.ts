import { resolve } from 'node:path';
import { z } from 'zod';
import { aeTitleVar, positiveIntVar } from './env-types';
import { parseEnv, type Env } from './parse-env';

/** The router's settings (the router app and the all-in-one app). */
export interface RouterConfig {
  /** A declarative routing file (JSON); the tenants it names are managed by it, not by the REST API. */
  readonly routingFile?: string;
  /** Attempts of a forward job before it is dead-lettered (`failed`, forward.failed). */
  readonly maxAttempts: number;
  /** Delay before the first retry of a job; it doubles with each attempt, with jitter. */
  readonly retryBaseMs: number;
  /** Upper bound of the delay between two attempts. */
  readonly retryMaxMs: number;
  /** How often the workers look for due jobs (a job created here wakes them at once). */
  readonly pollMs: number;
  /** How long a claimed job stays ours without renewal; another replica takes it over after. */
  readonly leaseMs: number;
  /** Jobs this process runs at once (each destination also has its own maxConcurrency). */
  readonly workers: number;
  /** Our AE title towards DIMSE destinations that set no callingAeTitle (PACS_AE_TITLE). */
  readonly aeTitle: string;
}

const routerEnvSchema = z.object({
  PACS_AE_TITLE: aeTitleVar('PACS'),
  PACS_ROUTING_FILE: z.string().min(1).optional(),
  PACS_FORWARD_MAX_ATTEMPTS: positiveIntVar(30).refine((n) => n <= 1000, { message: 'expected at most 1000' }),
  PACS_FORWARD_RETRY_BASE_MS: positiveIntVar(5000).refine((n) => n <= 3_600_000, {
    message: 'expected at most 3600000 ms (an hour)',
  }),
  PACS_FORWARD_RETRY_MAX_MS: positiveIntVar(600_000).refine((n) => n <= 86_400_000, {
    message: 'expected at most 86400000 ms (a day)',
  }),
  PACS_FORWARD_POLL_MS: positiveIntVar(1000).refine((n) => n <= 60_000, { message: 'expected at most 60000 ms' }),
  PACS_FORWARD_LEASE_MS: positiveIntVar(60_000).refine((n) => n >= 1000 && n <= 3_600_000, {
    message: 'expected from 1000 to 3600000 ms',
  }),
  PACS_FORWARD_WORKERS: positiveIntVar(16).refine((n) => n <= 256, { message: 'expected at most 256' }),
});

/**
 * Reads PACS_ROUTING_FILE (none by default), PACS_FORWARD_MAX_ATTEMPTS (30),
 * PACS_FORWARD_RETRY_BASE_MS (5000), PACS_FORWARD_RETRY_MAX_MS (600000: with the defaults a job
 * keeps trying for two hours on average, under four at most), PACS_FORWARD_POLL_MS (1000),
 * PACS_FORWARD_LEASE_MS (60000), PACS_FORWARD_WORKERS (16) and PACS_AE_TITLE; a ConfigError
 * names each variable that is wrong.
 */
export function loadRouterConfig(env: Env): RouterConfig {
  const e = parseEnv(routerEnvSchema, env);
  return {
    ...(e.PACS_ROUTING_FILE ? { routingFile: resolve(e.PACS_ROUTING_FILE) } : {}),
    maxAttempts: e.PACS_FORWARD_MAX_ATTEMPTS,
    retryBaseMs: e.PACS_FORWARD_RETRY_BASE_MS,
    retryMaxMs: Math.max(e.PACS_FORWARD_RETRY_MAX_MS, e.PACS_FORWARD_RETRY_BASE_MS),
    pollMs: e.PACS_FORWARD_POLL_MS,
    leaseMs: e.PACS_FORWARD_LEASE_MS,
    workers: e.PACS_FORWARD_WORKERS,
    aeTitle: e.PACS_AE_TITLE,
  };
}
