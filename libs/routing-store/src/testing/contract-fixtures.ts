import { isRoutingStoreError } from '../routing-store.errors';
import type { ClaimRequest, ForwardJob, ForwardJobSpec, JobClaim } from '../routing-store.port';

/** The time the contract's clock starts at; `at(s)` is s seconds later. */
export const T0 = '2024-05-01T10:00:00.000Z';

export function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

/** A job of tenant radiology to destination archive, study 1.2.840.1, unless overridden. */
export function jobSpec(jobId: string, overrides: Partial<ForwardJobSpec> = {}): ForwardJobSpec {
  return {
    jobId,
    tenantId: 'radiology',
    destinationId: 'archive',
    scope: { studyInstanceUid: '1.2.840.1' },
    trigger: 'study-stable',
    ruleIds: ['ct-to-archive'],
    correlationId: `correlation-of-${jobId}`,
    maxAttempts: 3,
    ...overrides,
  };
}

/** A claim request of worker `owner` at `now`, leases of 30 s, 10 jobs at most. */
export function claimAt(now: string, owner = 'worker-1', more: Partial<ClaimRequest> = {}): ClaimRequest {
  return { now, owner, leaseMs: 30_000, limit: 10, ...more };
}

/** The claim a worker holds on a job claimDueJobs returned. */
export function claimOf(job: ForwardJob): JobClaim {
  if (!job.lease) throw new Error(`job ${job.jobId} is not leased`);
  return { tenantId: job.tenantId, jobId: job.jobId, claim: job.lease.claim };
}

/** Expects a RoutingStoreError with `code` (and a field for INVALID_ARGUMENT). */
export async function expectStoreError(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (!isRoutingStoreError(caught)) {
    throw new Error(`expected a RoutingStoreError ${code}${field ? ` on ${field}` : ''}, got ${String(caught)}`);
  }
  expect({ code: caught.code, field: caught.field, retriable: caught.retriable }).toEqual({
    code,
    field: field ?? caught.field,
    retriable: code === 'UNAVAILABLE',
  });
  if (field) expect(caught.message).toContain(field);
}
