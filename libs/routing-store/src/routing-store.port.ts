import type { JsonObject } from './json-value';

export const ROUTING_STORE = Symbol('ROUTING_STORE');

/**
 * A tenant's routing configuration: its destinations and rules, as JSON documents the router
 * validated (the store keeps them as they are). Revision 0, with empty lists, before any save.
 */
export interface RoutingConfig {
  /** Incremented by every save; the compare-and-set key of saveConfig. */
  readonly revision: number;
  readonly destinations: readonly JsonObject[];
  readonly rules: readonly JsonObject[];
  /** When it was saved (the `now` of saveConfig), null before any save. */
  readonly updatedAt: string | null;
}

/** What saveConfig stores. */
export interface RoutingConfigDocuments {
  readonly destinations: readonly JsonObject[];
  readonly rules: readonly JsonObject[];
}

/**
 * - pending: waits for its next attempt (`nextAttemptAt`);
 * - running: leased to a worker until `lease.until`; an expired lease is claimed again;
 * - completed: everything forwarded (or refused for good, see `rejected`);
 * - failed: gave up (attempts exhausted or a permanent error): a dead letter until retried;
 * - cancelled: stopped by a user; retryJob starts it again.
 */
export type ForwardJobState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export const FORWARD_JOB_STATES: readonly ForwardJobState[] = [
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
];

/** What a job forwards: a study, one series of it, or one instance of that series. */
export interface ForwardScope {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
}

export type ForwardTrigger = 'instance' | 'study-stable' | 'manual';

export const FORWARD_TRIGGERS: readonly ForwardTrigger[] = ['instance', 'study-stable', 'manual'];

/** A job as the router creates it. */
export interface ForwardJobSpec {
  /**
   * Chosen by the caller, deterministic (e.g. from the destination and the event that caused
   * it), so that creating it again is a no-op. Unique per tenant.
   */
  readonly jobId: string;
  readonly tenantId: string;
  readonly destinationId: string;
  readonly scope: ForwardScope;
  readonly trigger: ForwardTrigger;
  /** The rules that chose the destination (none for a manual forward). */
  readonly ruleIds: readonly string[];
  /** The attribute changes to apply to the forwarded copies, as the router understands them. */
  readonly modify?: JsonObject;
  readonly correlationId: string;
  readonly causationId?: string;
  /** Attempts at most before the job fails (at least 1). */
  readonly maxAttempts: number;
}

/** A failure of an attempt, or of one instance. */
export interface ForwardError {
  readonly code: string;
  readonly message: string;
  /** The destination's status (DIMSE status, HTTP status), when it answered. */
  readonly remoteStatus?: number;
}

/** An instance the destination refused for good: it is not sent again by this job. */
export interface InstanceRejection extends ForwardError {
  readonly sopInstanceUid: string;
}

/** The worker holding a running job, and until when. */
export interface JobLease {
  readonly owner: string;
  readonly until: string;
  /** Incremented by every claim of the job: the compare-and-set key of the worker's writes. */
  readonly claim: number;
}

/** A job and its progress, as the store has it. */
export interface ForwardJob extends ForwardJobSpec {
  readonly state: ForwardJobState;
  /** Attempts started (claims); 0 again after retryJob. */
  readonly attempts: number;
  readonly createdAt: string;
  /** When its state last changed (a lease renewal or a confirmation does not change it). */
  readonly updatedAt: string;
  /** When a pending job is due; null in the other states. */
  readonly nextAttemptAt: string | null;
  /** The worker's lease while running; null in the other states. */
  readonly lease: JobLease | null;
  /** How many instances the destination confirmed (all claims together). */
  readonly confirmed: number;
  /** The instances the destination refused for good, by SOP Instance UID. */
  readonly rejected: readonly InstanceRejection[];
  /** Why the last attempt failed (kept by retryJob); null if none failed. */
  readonly lastError: ForwardError | null;
  /** When it completed; null unless completed. */
  readonly completedAt: string | null;
}

/** Which lease a worker's write is made under: what claimDueJobs handed it. */
export interface JobClaim {
  readonly tenantId: string;
  readonly jobId: string;
  readonly claim: number;
}

/** What claimDueJobs asks for. */
export interface ClaimRequest {
  /** The current time: due jobs are those due at or before it. */
  readonly now: string;
  /** Who claims (a worker id, e.g. host and process), recorded in the lease. */
  readonly owner: string;
  /** How long the lease lasts from `now` unless renewed (1 ms .. 24 h). */
  readonly leaseMs: number;
  /** Jobs at most (1..1000). */
  readonly limit: number;
  /** Only the jobs of this destination (a per-destination worker pool). */
  readonly destination?: { readonly tenantId: string; readonly destinationId: string };
}

/** How an attempt ended: done, gave up, or to be tried again at `nextAttemptAt`. */
export type JobOutcome =
  | { readonly state: 'completed' }
  | { readonly state: 'failed'; readonly error: ForwardError }
  | { readonly state: 'pending'; readonly nextAttemptAt: string; readonly error: ForwardError };

/** Which jobs listJobs returns (all of the tenant's when empty). */
export interface JobFilter {
  readonly destinationId?: string;
  readonly state?: ForwardJobState;
  readonly studyInstanceUid?: string;
}

/** A page of listJobs: `limit` jobs at most (1..1000), after the `next` of the previous page. */
export interface JobPage {
  readonly limit: number;
  readonly after?: string;
}

/** Queue depth of one destination, for /metrics. */
export interface QueueStats {
  readonly tenantId: string;
  readonly destinationId: string;
  readonly pending: number;
  readonly running: number;
  readonly failed: number;
  /** When the oldest pending job was created; null when none is pending. */
  readonly oldestPendingAt: string | null;
}

/**
 * The router's durable state: per-tenant routing configuration and forward jobs. Jobs are
 * claimed by workers under leases: a claim is exclusive (two workers never hold one job), a lease
 * that expires (a crashed worker) lets the job be claimed again, counting an attempt, and every
 * write of a worker is a compare-and-set on its claim, refused (false) once the claim is stale.
 * Arguments are checked first: bad ones reject with a RoutingStoreError INVALID_ARGUMENT naming
 * the field; engine failures reject with a retriable UNAVAILABLE. Writes resolve once durable.
 * Times are ISO 8601 with a zone, returned as `toISOString()`.
 */
export interface RoutingStore {
  /** Opens the database and creates what is missing of its schema. */
  start(): Promise<void>;
  /** Closes the database. */
  close(): Promise<void>;
  /** Whether the engine answers (for /health/ready). */
  isHealthy(): Promise<boolean>;

  /** The tenant's latest configuration (revision 0, empty, before any save). */
  getConfig(tenantId: string): Promise<RoutingConfig>;
  /**
   * Saves a new revision (expectedRevision + 1) if `expectedRevision` is still the latest;
   * CONFLICT otherwise: of concurrent saves on one revision exactly one wins.
   */
  saveConfig(
    tenantId: string,
    documents: RoutingConfigDocuments,
    expectedRevision: number,
    now: string,
  ): Promise<RoutingConfig>;
  /** The tenants that saved a configuration, sorted, for the router to load them at start. */
  listTenantsWithConfig(): Promise<string[]>;

  /** Creates a pending job due now; 'exists' (and nothing changes) if the tenant has its jobId. */
  createJob(spec: ForwardJobSpec, now: string): Promise<'created' | 'exists'>;
  /**
   * Claims due jobs, oldest due first: pending ones due by `now` and running ones whose lease
   * expired by `now`. Each returned job is running, leased to `owner` until now + leaseMs under
   * a new claim, with one more attempt. A due job that has no attempt left fails instead
   * (lastError LEASE_EXPIRED for a lease that expired) and is not returned.
   */
  claimDueJobs(request: ClaimRequest): Promise<ForwardJob[]>;
  /** Moves the lease's end to `until`; false when the claim is stale (reclaimed, cancelled, finished). */
  renewLease(claim: JobClaim, until: string): Promise<boolean>;
  /** Records instances the destination confirmed (idempotent per UID); false, recording nothing, if the claim is stale. */
  confirmInstances(claim: JobClaim, sopInstanceUids: readonly string[]): Promise<boolean>;
  /** The instances confirmed so far, under any claim: a new attempt does not send them again. */
  confirmedInstances(tenantId: string, jobId: string): Promise<ReadonlySet<string>>;
  /** Records an instance refused for good (the first rejection of a UID is kept); false if the claim is stale. */
  rejectInstance(claim: JobClaim, rejection: InstanceRejection): Promise<boolean>;
  /** Ends the attempt (compare-and-set on the claim): completed, failed, or pending again later. */
  finishJob(claim: JobClaim, outcome: JobOutcome, now: string): Promise<boolean>;
  /** The job, or undefined when the tenant has none of that id. */
  getJob(tenantId: string, jobId: string): Promise<ForwardJob | undefined>;
  /** The tenant's jobs, newest first (createdAt, then jobId), a page at a time. */
  listJobs(tenantId: string, filter: JobFilter, page: JobPage): Promise<{ jobs: ForwardJob[]; next?: string }>;
  /**
   * A failed or cancelled job pending again, due now, with 0 attempts, its lastError and
   * confirmations kept, its rejections cleared (they are tried again); a job in another state is
   * returned as it is; undefined when the tenant has none of that id.
   */
  retryJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined>;
  /**
   * A pending or running job cancelled (the running worker's next write under its claim returns
   * false); a job in another state is returned as it is; undefined when the tenant has none.
   */
  cancelJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined>;
  /** Per tenant and destination with jobs pending, running or failed: their counts and oldest pending. */
  queueStats(): Promise<QueueStats[]>;
}
