import type {
  ClaimRequest,
  ForwardError,
  ForwardJob,
  ForwardJobSpec,
  InstanceRejection,
  JobLease,
  JobOutcome,
} from './routing-store.port';

// A job as the adapters store it, and its state transitions. Each adapter reads a record, applies
// one of these pure functions and writes the result back under its own compare-and-set (a
// transaction on SQLite, a unique version on MongoDB), so both behave the same by construction.

/** A job's spec and state, without its per-instance progress (stored apart). */
export interface JobRecord extends ForwardJobSpec {
  readonly state: ForwardJob['state'];
  readonly attempts: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt: string | null;
  readonly lease: JobLease | null;
  readonly lastError: ForwardError | null;
  readonly completedAt: string | null;
  /** Claims ever made: the next claim is claims + 1 (a lease is null when not running). */
  readonly claims: number;
  /** Retries by retryJob: rejections are per round, a retry starts a new one. */
  readonly round: number;
}

/** lastError.code of a job whose worker stopped renewing its lease (crashed, or hung). */
export const LEASE_EXPIRED = 'LEASE_EXPIRED';

/** A pending job, due now. */
export function newJobRecord(spec: ForwardJobSpec, now: string): JobRecord {
  return {
    ...spec,
    state: 'pending',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    nextAttemptAt: now,
    lease: null,
    lastError: null,
    completedAt: null,
    claims: 0,
    round: 0,
  };
}

/** When the job is due to be claimed: a pending one's next attempt, a running one's lease end. */
export function dueAtOf(job: JobRecord): string | null {
  if (job.state === 'pending') return job.nextAttemptAt;
  if (job.state === 'running') return job.lease?.until ?? null;
  return null;
}

/**
 * The job claimed at `request.now`, or failed when it has no attempt left; undefined when it is
 * not due. A job reclaimed from an expired lease records why its previous attempt ended.
 */
export function claimedRecord(job: JobRecord, request: Omit<ClaimRequest, 'limit'>): JobRecord | undefined {
  const due = dueAtOf(job);
  if (due === null || due > request.now) return undefined;
  const expired = job.state === 'running' && job.lease !== null;
  const lastError: ForwardError | null = expired
    ? {
        code: LEASE_EXPIRED,
        message: `attempt ${job.attempts} by ${job.lease!.owner} ended: its lease expired at ${job.lease!.until}`,
      }
    : job.lastError;
  if (job.attempts >= job.maxAttempts) {
    return {
      ...job,
      state: 'failed',
      updatedAt: request.now,
      nextAttemptAt: null,
      lease: null,
      lastError: lastError ?? { code: 'ATTEMPTS_EXHAUSTED', message: `no attempt left of ${job.maxAttempts}` },
    };
  }
  const claim = job.claims + 1;
  const until = new Date(Date.parse(request.now) + request.leaseMs).toISOString();
  return {
    ...job,
    state: 'running',
    attempts: job.attempts + 1,
    updatedAt: request.now,
    nextAttemptAt: null,
    lease: { owner: request.owner, until, claim },
    lastError,
    claims: claim,
  };
}

/** Whether `claim` is the job's current lease. */
export function holdsClaim(job: JobRecord, claim: number): boolean {
  return job.state === 'running' && job.lease !== null && job.lease.claim === claim;
}

/** The lease moved to end at `until`; undefined when the claim is stale. */
export function renewedRecord(job: JobRecord, claim: number, until: string): JobRecord | undefined {
  if (!holdsClaim(job, claim)) return undefined;
  return { ...job, lease: { ...job.lease!, until } };
}

/** The attempt ended with `outcome`; undefined when the claim is stale. */
export function finishedRecord(job: JobRecord, claim: number, outcome: JobOutcome, now: string): JobRecord | undefined {
  if (!holdsClaim(job, claim)) return undefined;
  const ended = { ...job, updatedAt: now, lease: null, nextAttemptAt: null };
  switch (outcome.state) {
    case 'completed':
      return { ...ended, state: 'completed', completedAt: now };
    case 'failed':
      return { ...ended, state: 'failed', lastError: outcome.error };
    case 'pending':
      return { ...ended, state: 'pending', nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error };
  }
}

/** A failed or cancelled job pending again now with its attempts reset; undefined in another state. */
export function retriedRecord(job: JobRecord, now: string): JobRecord | undefined {
  if (job.state !== 'failed' && job.state !== 'cancelled') return undefined;
  return {
    ...job,
    state: 'pending',
    attempts: 0,
    updatedAt: now,
    nextAttemptAt: now,
    lease: null,
    completedAt: null,
    round: job.round + 1,
  };
}

/** A pending or running job cancelled; undefined in another state. */
export function cancelledRecord(job: JobRecord, now: string): JobRecord | undefined {
  if (job.state !== 'pending' && job.state !== 'running') return undefined;
  return { ...job, state: 'cancelled', updatedAt: now, nextAttemptAt: null, lease: null };
}

/** The job as the port returns it. */
export function forwardJobOf(job: JobRecord, confirmed: number, rejected: readonly InstanceRejection[]): ForwardJob {
  const spec: ForwardJobSpec = {
    jobId: job.jobId,
    tenantId: job.tenantId,
    destinationId: job.destinationId,
    scope: job.scope,
    trigger: job.trigger,
    ruleIds: job.ruleIds,
    ...(job.modify !== undefined ? { modify: job.modify } : {}),
    correlationId: job.correlationId,
    ...(job.causationId !== undefined ? { causationId: job.causationId } : {}),
    maxAttempts: job.maxAttempts,
  };
  return {
    ...spec,
    state: job.state,
    attempts: job.attempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    nextAttemptAt: job.nextAttemptAt,
    lease: job.lease,
    confirmed,
    rejected: [...rejected].sort((a, b) => compare(a.sopInstanceUid, b.sopInstanceUid)),
    lastError: job.lastError,
    completedAt: job.completedAt,
  };
}

/** A rejection as stored: the fields of InstanceRejection only. */
export function rejectionOf(value: {
  sopInstanceUid: string;
  code: string;
  message: string;
  remoteStatus?: number | null;
}): InstanceRejection {
  return {
    sopInstanceUid: value.sopInstanceUid,
    code: value.code,
    message: value.message,
    ...(value.remoteStatus !== undefined && value.remoteStatus !== null ? { remoteStatus: value.remoteStatus } : {}),
  };
}

/** Queue stats sorted by tenant, then destination. */
export function compareQueues(
  a: { tenantId: string; destinationId: string },
  b: { tenantId: string; destinationId: string },
): number {
  return compare(a.tenantId, b.tenantId) || compare(a.destinationId, b.destinationId);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
