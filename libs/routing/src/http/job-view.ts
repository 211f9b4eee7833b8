import type { ForwardJob } from '@pacs/routing-store';

/**
 * A job as the API shows it: the store's record without the lease's compare-and-set key; a
 * running job says which worker holds it and until when.
 */
export function jobView(job: ForwardJob): Record<string, unknown> {
  return {
    jobId: job.jobId,
    state: job.state,
    destinationId: job.destinationId,
    scope: job.scope,
    trigger: job.trigger,
    ruleIds: job.ruleIds,
    ...(job.modify ? { modify: job.modify } : {}),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    confirmed: job.confirmed,
    rejected: job.rejected,
    lastError: job.lastError,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    nextAttemptAt: job.nextAttemptAt,
    completedAt: job.completedAt,
    lease: job.lease ? { owner: job.lease.owner, until: job.lease.until } : null,
    correlationId: job.correlationId,
    ...(job.causationId ? { causationId: job.causationId } : {}),
  };
}
