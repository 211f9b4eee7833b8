import { MongoClient, MongoError, type Filter } from 'mongodb';
import {
  cancelledRecord,
  checkClaimRequest,
  checkConfigSave,
  checkConfirmedUids,
  checkId,
  checkJobClaim,
  checkJobFilter,
  checkJobPage,
  checkJobSpec,
  checkOutcome,
  checkRejection,
  claimedRecord,
  compareQueues,
  configConflict,
  encodeJobCursor,
  finishedRecord,
  forwardJobOf,
  holdsClaim,
  instantOf,
  newJobRecord,
  rejectionOf,
  renewedRecord,
  retriedRecord,
  RoutingStoreError,
  unavailable,
  type ClaimRequest,
  type ForwardJob,
  type ForwardJobSpec,
  type InstanceRejection,
  type JobClaim,
  type JobFilter,
  type JobOutcome,
  type JobPage,
  type JobRecord,
  type JsonObject,
  type QueueStats,
  type RoutingConfig,
  type RoutingConfigDocuments,
  type RoutingStore,
} from '@pacs/routing-store';
import {
  isDuplicateKey,
  isDuplicateKeysOnly,
  jobVersionDocument,
  recordOf,
  routingCollections,
  type ConfigDocument,
  type JobVersionDocument,
  type RoutingCollections,
} from './mongodb-routing-documents';

export interface MongoRoutingStoreOptions {
  /** `mongodb://host:port/`; the database is `database`. */
  readonly url: string;
  readonly database: string;
  /** Prefix of the collections' names (default `routing_`): unique per test, or per deployment. */
  readonly collectionPrefix?: string;
  readonly serverSelectionTimeoutMs?: number;
}

/** Tries of a change whose compare-and-set another writer keeps winning, before UNAVAILABLE. */
const CHANGE_ATTEMPTS = 20;
/** Rounds of a claim that meets jobs other claimers took meanwhile. */
const CLAIM_ROUNDS = 20;
/** Job ids per `$in` of a freshness check. */
const IN_CHUNK = 500;
const LIVE_STATES = ['pending', 'running', 'failed'] as const;

/**
 * The distributed routing store, on a MongoDB wire-compatible server (collections in
 * mongodb-routing-documents.ts). It uses only what FerretDB v1 (the engine of the tests) does
 * atomically: FerretDB has no multi-document transactions, and applies an update by reading the
 * document and writing it back apart, so an `updateOne` with a filter is not a compare-and-set
 * between two clients (both can match, both "modify"). What must have one winner is therefore an
 * insert under a unique index, whose duplicate key error (11000) tells the losers:
 * - a configuration save inserts revision n + 1 (CONFLICT on a duplicate);
 * - a job is a chain of versions: every change (claim, renewal, finish, retry, cancel) inserts
 *   version n + 1 of the version n it read, so of two claimers of one job only one inserts and
 *   gets it, and a worker's write under a claim that was taken over or cancelled meanwhile loses.
 *   Versions are never deleted, so a version number can never be inserted twice (no ABA).
 * - confirmations and rejections are inserted once per instance (idempotent).
 * The only updates set `head: false` on a superseded version, always the same value. Confirming
 * checks the claim, then inserts: a confirmation racing a takeover may be recorded, which is
 * harmless (the destination did confirm it). Nothing here uses the aggregation pipeline beyond
 * `$match` and `$group` with `$sum`.
 */
export class MongoRoutingStore implements RoutingStore {
  private client: MongoClient | undefined;
  private collections: RoutingCollections | undefined;
  private readonly prefix: string;

  constructor(private readonly options: MongoRoutingStoreOptions) {
    this.prefix = options.collectionPrefix ?? 'routing_';
    if (!/^[A-Za-z0-9_.-]*$/.test(this.prefix)) {
      throw new RoutingStoreError('INVALID_ARGUMENT', `collectionPrefix "${this.prefix}" is not a name`, false, {
        field: 'collectionPrefix',
      });
    }
  }

  async start(): Promise<void> {
    if (this.client) return;
    const client = new MongoClient(this.options.url, {
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMs ?? 10_000,
    });
    try {
      await client.connect();
      this.collections = await routingCollections(client.db(this.options.database), this.prefix);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw engineError('start', error);
    }
    this.client = client;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.collections = undefined;
    await client?.close();
  }

  /** Drops the store's collections (tests). */
  async drop(): Promise<void> {
    const { configs, jobs, confirmed, rejected } = this.open();
    for (const collection of [configs, jobs, confirmed, rejected]) await collection.drop().catch(() => undefined);
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.client!.db(this.options.database).command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  async getConfig(tenantId: string): Promise<RoutingConfig> {
    const tenant = checkId('tenantId', tenantId);
    return this.engine('getConfig', async ({ configs }) => configOf(await this.latestConfig(configs, tenant)));
  }

  async saveConfig(
    tenantId: string,
    documents: RoutingConfigDocuments,
    expectedRevision: number,
    now: string,
  ): Promise<RoutingConfig> {
    const save = checkConfigSave(tenantId, documents, expectedRevision, now);
    return this.engine('saveConfig', async ({ configs }) => {
      const latest = configOf(await this.latestConfig(configs, save.tenantId)).revision;
      if (latest !== save.expectedRevision) throw configConflict(save.tenantId, save.expectedRevision, latest);
      const revision = save.expectedRevision + 1;
      try {
        await configs.insertOne({
          tenantId: save.tenantId,
          revision,
          destinations: JSON.stringify(save.documents.destinations),
          rules: JSON.stringify(save.documents.rules),
          updatedAt: save.now,
        });
      } catch (error) {
        // Another save inserted this revision since the read: it won.
        if (isDuplicateKey(error)) throw configConflict(save.tenantId, save.expectedRevision, undefined);
        throw error;
      }
      return { revision, ...save.documents, updatedAt: save.now };
    });
  }

  async listTenantsWithConfig(): Promise<string[]> {
    return this.engine('listTenantsWithConfig', async ({ configs }) =>
      ((await configs.distinct('tenantId')) as string[]).sort(),
    );
  }

  async createJob(spec: ForwardJobSpec, now: string): Promise<'created' | 'exists'> {
    const record = newJobRecord(checkJobSpec(spec), instantOf('now', now));
    return this.engine('createJob', async ({ jobs }) => {
      try {
        await jobs.insertOne(jobVersionDocument(record, 1));
        return 'created';
      } catch (error) {
        if (isDuplicateKey(error)) return 'exists';
        throw error;
      }
    });
  }

  async claimDueJobs(request: ClaimRequest): Promise<ForwardJob[]> {
    const checked = checkClaimRequest(request);
    const { destination } = checked;
    return this.engine('claimDueJobs', async ({ jobs }) => {
      const claimed: JobRecord[] = [];
      const filter: Filter<JobVersionDocument> = {
        head: true,
        ...(destination ? { tenantId: destination.tenantId, destinationId: destination.destinationId } : {}),
        dueAt: { $lte: checked.now },
      };
      for (let round = 0; round < CLAIM_ROUNDS && claimed.length < checked.limit; round++) {
        const candidates = await jobs
          .find(filter)
          .sort({ dueAt: 1, createdAt: 1, jobId: 1 })
          .limit(checked.limit - claimed.length)
          .toArray();
        let progress = false;
        for (const candidate of candidates) {
          const next = claimedRecord(recordOf(candidate), checked);
          if (!next) continue;
          // Won or lost, the candidate is no longer the head: the next round does not see it.
          progress = true;
          if ((await this.advance(candidate, next)) && next.state === 'running') claimed.push(next);
          if (claimed.length === checked.limit) break;
        }
        if (!progress) break;
      }
      return this.forwardJobs(claimed);
    });
  }

  async renewLease(claim: JobClaim, until: string): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const end = instantOf('until', until);
    return this.engine('renewLease', async () => {
      const changed = await this.change(checked.tenantId, checked.jobId, (job) =>
        renewedRecord(job, checked.claim, end),
      );
      return changed?.after !== undefined;
    });
  }

  async confirmInstances(claim: JobClaim, sopInstanceUids: readonly string[]): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const uids = checkConfirmedUids(sopInstanceUids);
    return this.engine('confirmInstances', async ({ confirmed }) => {
      if (!(await this.holds(checked))) return false;
      if (uids.length === 0) return true;
      try {
        await confirmed.insertMany(
          uids.map((sopInstanceUid) => ({ tenantId: checked.tenantId, jobId: checked.jobId, sopInstanceUid })),
          // Unordered: one confirmed before (a duplicate) does not stop the others.
          { ordered: false },
        );
      } catch (error) {
        if (!isDuplicateKeysOnly(error)) throw error;
      }
      return true;
    });
  }

  async confirmedInstances(tenantId: string, jobId: string): Promise<ReadonlySet<string>> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    return this.engine('confirmedInstances', async ({ confirmed }) => {
      const documents = confirmed.find({ tenantId: tenant, jobId: id }, { projection: { sopInstanceUid: 1 } });
      const uids = new Set<string>();
      for await (const document of documents) uids.add(document.sopInstanceUid);
      return uids;
    });
  }

  async rejectInstance(claim: JobClaim, rejection: InstanceRejection): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const refused = checkRejection(rejection);
    return this.engine('rejectInstance', async ({ rejected }) => {
      const job = await this.holds(checked);
      if (!job) return false;
      try {
        await rejected.insertOne({
          tenantId: checked.tenantId,
          jobId: checked.jobId,
          round: job.round,
          sopInstanceUid: refused.sopInstanceUid,
          code: refused.code,
          message: refused.message,
          remoteStatus: refused.remoteStatus ?? null,
        });
      } catch (error) {
        // Rejected before in this round: the first rejection stays.
        if (!isDuplicateKey(error)) throw error;
      }
      return true;
    });
  }

  async finishJob(claim: JobClaim, outcome: JobOutcome, now: string): Promise<boolean> {
    const checked = checkJobClaim(claim);
    const ended = checkOutcome(outcome);
    const at = instantOf('now', now);
    return this.engine('finishJob', async () => {
      const changed = await this.change(checked.tenantId, checked.jobId, (job) =>
        finishedRecord(job, checked.claim, ended, at),
      );
      return changed?.after !== undefined;
    });
  }

  async getJob(tenantId: string, jobId: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    return this.engine('getJob', async () => {
      const latest = await this.latest(tenant, id);
      return latest ? (await this.forwardJobs([recordOf(latest)]))[0] : undefined;
    });
  }

  async listJobs(tenantId: string, filter: JobFilter, page: JobPage): Promise<{ jobs: ForwardJob[]; next?: string }> {
    const tenant = checkId('tenantId', tenantId);
    const { destinationId, state, studyInstanceUid } = checkJobFilter(filter);
    const { limit, after } = checkJobPage(page);
    return this.engine('listJobs', async ({ jobs }) => {
      const base: Filter<JobVersionDocument> = {
        tenantId: tenant,
        head: true,
        ...(destinationId !== undefined ? { destinationId } : {}),
        ...(state !== undefined ? { state } : {}),
        ...(studyInstanceUid !== undefined ? { studyInstanceUid } : {}),
      };
      const kept: JobVersionDocument[] = [];
      let position = after;
      // limit + 1 jobs tell whether there is a next page. Heads left behind by a crash are
      // dropped (and repaired), which may take another read to fill the page.
      while (kept.length <= limit) {
        const wanted = limit + 1 - kept.length;
        const documents = await jobs
          .find({
            ...base,
            ...(position
              ? {
                  $or: [
                    { createdAt: { $lt: position.createdAt } },
                    { createdAt: position.createdAt, jobId: { $lt: position.jobId } },
                  ],
                }
              : {}),
          })
          .sort({ createdAt: -1, jobId: -1 })
          .limit(wanted)
          .toArray();
        kept.push(...(await this.freshHeads(documents)));
        const last = documents[documents.length - 1];
        if (documents.length < wanted || !last) break;
        position = { createdAt: last.createdAt, jobId: last.jobId };
      }
      const listed = await this.forwardJobs(kept.slice(0, limit).map(recordOf));
      const end = listed[listed.length - 1];
      return kept.length > limit && end ? { jobs: listed, next: encodeJobCursor(end) } : { jobs: listed };
    });
  }

  async retryJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    const at = instantOf('now', now);
    return this.engine('retryJob', async () => {
      const changed = await this.change(tenant, id, (job) => retriedRecord(job, at));
      return changed && (await this.forwardJobs([changed.after ?? changed.before]))[0];
    });
  }

  async cancelJob(tenantId: string, jobId: string, now: string): Promise<ForwardJob | undefined> {
    const tenant = checkId('tenantId', tenantId);
    const id = checkId('jobId', jobId);
    const at = instantOf('now', now);
    return this.engine('cancelJob', async () => {
      const changed = await this.change(tenant, id, (job) => cancelledRecord(job, at));
      return changed && (await this.forwardJobs([changed.after ?? changed.before]))[0];
    });
  }

  async queueStats(): Promise<QueueStats[]> {
    return this.engine('queueStats', async ({ jobs }) => {
      const live = await jobs
        .find(
          { head: true, state: { $in: [...LIVE_STATES] } },
          { projection: { tenantId: 1, jobId: 1, version: 1, destinationId: 1, state: 1, createdAt: 1 } },
        )
        .toArray();
      const queues = new Map<string, { -readonly [K in keyof QueueStats]: QueueStats[K] }>();
      for (const job of await this.freshHeads(live)) {
        const key = JSON.stringify([job.tenantId, job.destinationId]);
        let queue = queues.get(key);
        if (!queue) {
          queue = {
            tenantId: job.tenantId,
            destinationId: job.destinationId,
            pending: 0,
            running: 0,
            failed: 0,
            oldestPendingAt: null,
          };
          queues.set(key, queue);
        }
        const state = job.state as (typeof LIVE_STATES)[number];
        queue[state] += 1;
        if (state === 'pending' && (queue.oldestPendingAt === null || job.createdAt < queue.oldestPendingAt)) {
          queue.oldestPendingAt = job.createdAt;
        }
      }
      return [...queues.values()].sort(compareQueues);
    });
  }

  /** The latest revision saved of the tenant's configuration. */
  private latestConfig(configs: RoutingCollections['configs'], tenantId: string): Promise<ConfigDocument | null> {
    return configs.find({ tenantId }).sort({ revision: -1 }).limit(1).next();
  }

  /** The job's highest version, whatever the heads say. */
  private latest(tenantId: string, jobId: string): Promise<JobVersionDocument | null> {
    return this.open().jobs.find({ tenantId, jobId }).sort({ version: -1 }).limit(1).next();
  }

  /** The job if `claim` holds it now. */
  private async holds(claim: JobClaim): Promise<JobRecord | undefined> {
    const latest = await this.latest(claim.tenantId, claim.jobId);
    const job = latest ? recordOf(latest) : undefined;
    return job && holdsClaim(job, claim.claim) ? job : undefined;
  }

  /**
   * Inserts `next` as the version after `from`: whether it won. Either way `from` is no longer
   * the head (its next version exists), which is then recorded.
   */
  private async advance(from: JobVersionDocument, next: JobRecord): Promise<boolean> {
    let won = true;
    try {
      await this.open().jobs.insertOne(jobVersionDocument(next, from.version + 1));
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      won = false;
    }
    await this.supersede([from]);
    return won;
  }

  /** Sets `head: false` on versions that have a next one; a failure is repaired by the next reader. */
  private async supersede(documents: readonly JobVersionDocument[]): Promise<void> {
    const ids = documents.flatMap((document) => (document._id ? [document._id] : []));
    if (ids.length === 0) return;
    await this.open()
      .jobs.updateMany({ _id: { $in: ids } }, { $set: { head: false } })
      .catch(() => undefined);
  }

  /**
   * Applies `next` to the job's latest version as a compare-and-set (the insert of its next
   * version), reading again when another writer's version came first. `before` is the version
   * `next` was last applied to; `after` is absent when `next` did not apply (undefined).
   */
  private async change(
    tenantId: string,
    jobId: string,
    next: (job: JobRecord) => JobRecord | undefined,
  ): Promise<{ before: JobRecord; after?: JobRecord } | undefined> {
    for (let attempt = 1; attempt <= CHANGE_ATTEMPTS; attempt++) {
      const latest = await this.latest(tenantId, jobId);
      if (!latest) return undefined;
      const before = recordOf(latest);
      const after = next(before);
      if (!after) return { before };
      if (await this.advance(latest, after)) return { before, after };
    }
    throw new RoutingStoreError(
      'UNAVAILABLE',
      `job ${jobId} of tenant ${tenantId} changed ${CHANGE_ATTEMPTS} times while being changed`,
      true,
    );
  }

  /**
   * The documents that are the highest head of their job: a lower one is a head a crash left
   * behind (its next version was inserted, the flag not cleared), which is repaired here.
   */
  private async freshHeads<T extends Pick<JobVersionDocument, '_id' | 'tenantId' | 'jobId' | 'version'>>(
    documents: readonly T[],
  ): Promise<T[]> {
    if (documents.length === 0) return [];
    const highest = new Map<string, number>();
    const byTenant = new Map<string, Set<string>>();
    for (const document of documents) {
      const ids = byTenant.get(document.tenantId) ?? new Set<string>();
      ids.add(document.jobId);
      byTenant.set(document.tenantId, ids);
    }
    for (const [tenantId, ids] of byTenant) {
      const all = [...ids];
      for (let i = 0; i < all.length; i += IN_CHUNK) {
        const heads = this.open().jobs.find(
          { tenantId, jobId: { $in: all.slice(i, i + IN_CHUNK) }, head: true },
          { projection: { tenantId: 1, jobId: 1, version: 1 } },
        );
        for await (const head of heads) {
          const key = JSON.stringify([head.tenantId, head.jobId]);
          highest.set(key, Math.max(highest.get(key) ?? 0, head.version));
        }
      }
    }
    const fresh: T[] = [];
    const stale: JobVersionDocument[] = [];
    for (const document of documents) {
      const top = highest.get(JSON.stringify([document.tenantId, document.jobId])) ?? document.version;
      if (document.version >= top) fresh.push(document);
      else stale.push(document as unknown as JobVersionDocument);
    }
    await this.supersede(stale);
    return fresh;
  }

  /** The jobs with their confirmed counts and this round's rejections, in the order given. */
  private async forwardJobs(records: readonly JobRecord[]): Promise<ForwardJob[]> {
    if (records.length === 0) return [];
    const { confirmed, rejected } = this.open();
    const key = (tenantId: string, jobId: string) => JSON.stringify([tenantId, jobId]);
    const counts = new Map<string, number>();
    const rejections = new Map<string, InstanceRejection[]>();
    const rounds = new Map(records.map((job) => [key(job.tenantId, job.jobId), job.round]));
    const byTenant = new Map<string, string[]>();
    for (const job of records) byTenant.set(job.tenantId, [...(byTenant.get(job.tenantId) ?? []), job.jobId]);
    for (const [tenantId, ids] of byTenant) {
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const chunk = ids.slice(i, i + IN_CHUNK);
        const grouped = confirmed.aggregate<{ _id: string; count: number }>([
          { $match: { tenantId, jobId: { $in: chunk } } },
          { $group: { _id: '$jobId', count: { $sum: 1 } } },
        ]);
        for await (const { _id, count } of grouped) counts.set(key(tenantId, _id), count);
        for await (const document of rejected.find({ tenantId, jobId: { $in: chunk } })) {
          const jobKey = key(tenantId, document.jobId);
          if (rounds.get(jobKey) !== document.round) continue;
          rejections.set(jobKey, [...(rejections.get(jobKey) ?? []), rejectionOf(document)]);
        }
      }
    }
    return records.map((job) => {
      const jobKey = key(job.tenantId, job.jobId);
      return forwardJobOf(job, counts.get(jobKey) ?? 0, rejections.get(jobKey) ?? []);
    });
  }

  /** Runs `work`, turning what the driver throws into a retriable UNAVAILABLE. */
  private async engine<T>(operation: string, work: (collections: RoutingCollections) => Promise<T>): Promise<T> {
    const collections = this.open();
    try {
      return await work(collections);
    } catch (error) {
      throw engineError(operation, error);
    }
  }

  private open(): RoutingCollections {
    if (!this.collections) throw new Error('MongoRoutingStore: start() first');
    return this.collections;
  }
}

function configOf(document: ConfigDocument | null): RoutingConfig {
  if (!document) return { revision: 0, destinations: [], rules: [], updatedAt: null };
  return {
    revision: document.revision,
    destinations: JSON.parse(document.destinations) as JsonObject[],
    rules: JSON.parse(document.rules) as JsonObject[],
    updatedAt: document.updatedAt,
  };
}

/** What the driver threw, as a retriable UNAVAILABLE; a RoutingStoreError, or a bug, as it is. */
function engineError(operation: string, error: unknown): unknown {
  if (error instanceof RoutingStoreError) return error;
  return error instanceof MongoError ? unavailable(operation, error) : error;
}
