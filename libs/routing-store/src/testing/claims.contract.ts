import { LEASE_EXPIRED } from '../job-record';
import type { ForwardJob, RoutingStore } from '../routing-store.port';
import { contractContext, type OpenStore } from './contract-context';
import { at, claimAt, claimOf, jobSpec, T0 } from './contract-fixtures';

const SOP = (n: number) => `1.2.840.1.1.${n}`;

/** Claims with `store` until a claim returns nothing; the ids claimed. */
async function drain(store: RoutingStore, owner: string, now = T0): Promise<string[]> {
  const claimed: string[] = [];
  for (;;) {
    const jobs = await store.claimDueJobs(claimAt(now, owner, { limit: 3 }));
    if (jobs.length === 0) return claimed;
    claimed.push(...jobs.map((job) => job.jobId));
  }
}

export function describeClaims(open: OpenStore): void {
  const context = contractContext(open);

  async function claimOne(now: string, owner = 'worker-1', maxAttempts = 3): Promise<ForwardJob> {
    await context.store.createJob(jobSpec('job-1', { maxAttempts }), T0);
    const [job] = await context.store.claimDueJobs(claimAt(now, owner));
    if (!job) throw new Error('job-1 was not claimed');
    return job;
  }

  it('claims due jobs oldest due first, up to the limit, each leased to the owner with one more attempt', async () => {
    const { store } = context;
    for (const [jobId, second] of [
      ['job-c', 2],
      ['job-a', 0],
      ['job-b', 1],
    ] as const) {
      await store.createJob(jobSpec(jobId), at(second));
    }
    const first = await store.claimDueJobs(claimAt(at(10), 'worker-1', { limit: 2, leaseMs: 30_000 }));
    expect(first.map((job) => job.jobId)).toEqual(['job-a', 'job-b']);
    expect(first[0]).toMatchObject({
      state: 'running',
      attempts: 1,
      updatedAt: at(10),
      nextAttemptAt: null,
      lease: { owner: 'worker-1', until: at(40), claim: 1 },
      confirmed: 0,
      lastError: null,
    });
    expect(await store.getJob('radiology', 'job-a')).toEqual(first[0]);
    expect((await store.claimDueJobs(claimAt(at(10), 'worker-2'))).map((job) => job.jobId)).toEqual(['job-c']);
    expect(await store.claimDueJobs(claimAt(at(39), 'worker-2'))).toEqual([]);
  });

  it('does not claim a job before it is due', async () => {
    const { store } = context;
    await store.createJob(jobSpec('job-1'), at(60));
    expect(await store.claimDueJobs(claimAt(at(59)))).toEqual([]);
    expect(await store.claimDueJobs(claimAt(at(60)))).toHaveLength(1);
  });

  it('claims only the jobs of the destination asked for', async () => {
    const { store } = context;
    await store.createJob(jobSpec('archive-1'), T0);
    await store.createJob(jobSpec('ai-1', { destinationId: 'ai' }), T0);
    await store.createJob(jobSpec('archive-2', { tenantId: 'cardiology' }), T0);
    await store.createJob(jobSpec('archive-3'), at(1));
    const destination = { tenantId: 'radiology', destinationId: 'archive' };
    const claimed = await store.claimDueJobs(claimAt(at(5), 'worker-1', { destination }));
    expect(claimed.map((job) => [job.tenantId, job.jobId])).toEqual([
      ['radiology', 'archive-1'],
      ['radiology', 'archive-3'],
    ]);
    expect((await store.claimDueJobs(claimAt(at(5)))).map((job) => job.jobId).sort()).toEqual(['ai-1', 'archive-2']);
  });

  it("claims a crashed worker's job again once its lease expired, counting the attempt and why", async () => {
    const { store } = context;
    const crashed = await claimOne(T0, 'worker-1');
    expect(await store.confirmInstances(claimOf(crashed), [SOP(1)])).toBe(true);
    expect(await store.claimDueJobs(claimAt(at(29), 'worker-2'))).toEqual([]);
    const [again] = await store.claimDueJobs(claimAt(at(30), 'worker-2'));
    expect(again).toMatchObject({
      jobId: 'job-1',
      state: 'running',
      attempts: 2,
      updatedAt: at(30),
      lease: { owner: 'worker-2', until: at(60), claim: 2 },
      confirmed: 1,
      lastError: { code: LEASE_EXPIRED },
    });
    expect(again!.lastError!.message).toContain('worker-1');
    // The crashed worker's claim is stale: all its writes are refused, and record nothing.
    const stale = claimOf(crashed);
    expect(await store.renewLease(stale, at(120))).toBe(false);
    expect(await store.confirmInstances(stale, [SOP(2)])).toBe(false);
    expect(await store.rejectInstance(stale, { sopInstanceUid: SOP(3), code: 'X', message: 'x' })).toBe(false);
    expect(await store.finishJob(stale, { state: 'completed' }, at(31))).toBe(false);
    expect(await store.getJob('radiology', 'job-1')).toEqual(again);
    expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set([SOP(1)]));
  });

  it('fails a job whose lease expired on its last attempt instead of claiming it', async () => {
    const { store } = context;
    await claimOne(T0, 'worker-1', 1);
    expect(await store.claimDueJobs(claimAt(at(30), 'worker-2'))).toEqual([]);
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({
      state: 'failed',
      attempts: 1,
      updatedAt: at(30),
      lease: null,
      nextAttemptAt: null,
      lastError: { code: LEASE_EXPIRED },
    });
  });

  it('fails a job put back pending after its last attempt, keeping the error of that attempt', async () => {
    const { store } = context;
    const job = await claimOne(T0, 'worker-1', 1);
    const error = { code: 'ASSOCIATION_REJECTED', message: 'busy', remoteStatus: 2 };
    expect(await store.finishJob(claimOf(job), { state: 'pending', nextAttemptAt: at(60), error }, at(1))).toBe(true);
    expect(await store.claimDueJobs(claimAt(at(60)))).toEqual([]);
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({ state: 'failed', attempts: 1, lastError: error });
  });

  it('renews a lease only under the current claim, pushing back when the job can be claimed again', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    expect(await store.renewLease(claimOf(job), at(100))).toBe(true);
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({
      lease: { owner: 'worker-1', until: at(100), claim: 1 },
      updatedAt: T0,
    });
    expect(await store.claimDueJobs(claimAt(at(99), 'worker-2'))).toEqual([]);
    expect(await store.renewLease({ ...claimOf(job), claim: 2 }, at(200))).toBe(false);
    expect(await store.renewLease({ ...claimOf(job), jobId: 'unknown' }, at(200))).toBe(false);
    const [again] = await store.claimDueJobs(claimAt(at(100), 'worker-2'));
    expect(again).toMatchObject({ attempts: 2, lease: { claim: 2 } });
    expect(await store.renewLease(claimOf(job), at(300))).toBe(false);
    expect(await store.renewLease(claimOf(again!), at(300))).toBe(true);
  });

  it('records confirmed instances once each, kept for the next claims', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    expect(await store.confirmInstances(claimOf(job), [SOP(1), SOP(2)])).toBe(true);
    expect(await store.confirmInstances(claimOf(job), [SOP(2), SOP(3), SOP(3)])).toBe(true);
    expect(await store.confirmInstances(claimOf(job), [])).toBe(true);
    expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set([SOP(1), SOP(2), SOP(3)]));
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({ confirmed: 3 });
    expect(await store.confirmedInstances('cardiology', 'job-1')).toEqual(new Set());
    expect(await store.confirmedInstances('radiology', 'unknown')).toEqual(new Set());
    const error = { code: 'TIMEOUT', message: 'no answer' };
    await store.finishJob(claimOf(job), { state: 'pending', nextAttemptAt: at(10), error }, at(5));
    const [again] = await store.claimDueJobs(claimAt(at(10), 'worker-2'));
    expect(again).toMatchObject({ confirmed: 3, attempts: 2, lastError: error });
    expect(await store.confirmInstances(claimOf(job), [SOP(4)])).toBe(false);
    expect(await store.confirmInstances(claimOf(again!), [SOP(5)])).toBe(true);
    expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set([1, 2, 3, 5].map(SOP)));
  });

  it('records instances refused for good, the first rejection of each kept', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    const refused = { sopInstanceUid: SOP(2), code: 'SOP_CLASS_NOT_SUPPORTED', message: 'no', remoteStatus: 0x0122 };
    expect(await store.rejectInstance(claimOf(job), refused)).toBe(true);
    expect(await store.rejectInstance(claimOf(job), { ...refused, message: 'again' })).toBe(true);
    const other = { sopInstanceUid: SOP(1), code: 'CANNOT_UNDERSTAND', message: 'bad data set' };
    expect(await store.rejectInstance(claimOf(job), other)).toBe(true);
    expect((await store.getJob('radiology', 'job-1'))!.rejected).toStrictEqual([other, refused]);
    expect(await store.rejectInstance({ ...claimOf(job), claim: 7 }, { ...other, sopInstanceUid: SOP(9) })).toBe(false);
    expect((await store.getJob('radiology', 'job-1'))!.rejected).toHaveLength(2);
  });

  it('completes a job under the current claim, once', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    expect(await store.finishJob(claimOf(job), { state: 'completed' }, at(20))).toBe(true);
    const completed = await store.getJob('radiology', 'job-1');
    expect(completed).toMatchObject({
      state: 'completed',
      attempts: 1,
      updatedAt: at(20),
      completedAt: at(20),
      lease: null,
      nextAttemptAt: null,
    });
    expect(await store.finishJob(claimOf(job), { state: 'failed', error: { code: 'X', message: 'x' } }, at(21))).toBe(
      false,
    );
    expect(await store.renewLease(claimOf(job), at(100))).toBe(false);
    expect(await store.claimDueJobs(claimAt(at(3600)))).toEqual([]);
    expect(await store.getJob('radiology', 'job-1')).toEqual(completed);
  });

  it('fails a job for good with its error, which no claim takes again', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    const error = { code: 'REJECTED', message: 'every instance refused', remoteStatus: 0xa900 };
    expect(await store.finishJob(claimOf(job), { state: 'failed', error }, at(20))).toBe(true);
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({
      state: 'failed',
      lastError: error,
      lease: null,
      completedAt: null,
      updatedAt: at(20),
    });
    expect(await store.claimDueJobs(claimAt(at(3600)))).toEqual([]);
  });

  it('puts a job back pending until its next attempt', async () => {
    const { store } = context;
    const job = await claimOne(T0);
    const error = { code: 'CONNECTION_REFUSED', message: 'ECONNREFUSED' };
    expect(await store.finishJob(claimOf(job), { state: 'pending', nextAttemptAt: at(90), error }, at(20))).toBe(true);
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({
      state: 'pending',
      nextAttemptAt: at(90),
      lastError: error,
      lease: null,
      attempts: 1,
    });
    expect(await store.finishJob(claimOf(job), { state: 'completed' }, at(21))).toBe(false);
    expect(await store.claimDueJobs(claimAt(at(89)))).toEqual([]);
    expect(await store.claimDueJobs(claimAt(at(90)))).toMatchObject([
      { jobId: 'job-1', attempts: 2, lease: { claim: 2 }, lastError: error },
    ]);
  });

  it('never gives one job to two stores claiming at once', async () => {
    const stores = [context.store, await context.another()];
    const jobIds = Array.from({ length: 50 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
    for (const jobId of jobIds) await context.store.createJob(jobSpec(jobId), T0);
    const [first, second] = await Promise.all(stores.map((store, i) => drain(store, `worker-${i}`)));
    expect(first!.filter((jobId) => second!.includes(jobId))).toEqual([]);
    expect([...first!, ...second!].sort()).toEqual(jobIds);
    for (const jobId of jobIds) expect(await context.store.getJob('radiology', jobId)).toMatchObject({ attempts: 1 });
  });

  it('gives an expired job to one of two stores claiming it at once', async () => {
    const stores = [context.store, await context.another()];
    for (let i = 0; i < 10; i++) await context.store.createJob(jobSpec(`job-${i}`), T0);
    expect(await context.store.claimDueJobs(claimAt(T0, 'crashed', { limit: 10 }))).toHaveLength(10);
    const claims = await Promise.all(
      stores.map((store, i) => store.claimDueJobs(claimAt(at(30), `worker-${i}`, { limit: 10 }))),
    );
    const ids = claims.flat().map((job) => job.jobId);
    expect(ids.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i}`));
    for (const job of claims.flat()) expect(job).toMatchObject({ attempts: 2, lease: { claim: 2 } });
  });

  it('lets one of a renewal and a takeover made at once win', async () => {
    const stores = [context.store, await context.another()];
    for (let i = 0; i < 10; i++) {
      await context.store.createJob(jobSpec(`job-${i}`), T0);
      const [job] = await context.store.claimDueJobs(claimAt(T0, 'worker-1', { limit: 1 }));
      const [renewed, taken] = await Promise.all([
        stores[i % 2]!.renewLease(claimOf(job!), at(100)),
        stores[(i + 1) % 2]!.claimDueJobs(claimAt(at(30), 'worker-2', { limit: 1 })),
      ]);
      const final = await context.store.getJob('radiology', job!.jobId);
      if (renewed) expect(final!.lease).toEqual({ owner: 'worker-1', until: at(100), claim: 1 });
      else expect(final!.lease).toMatchObject({ owner: 'worker-2', claim: 2 });
      // A renewal that won came first: the takeover found the lease running still.
      expect(taken).toHaveLength(renewed ? 0 : 1);
      await context.store.finishJob(claimOf(final!), { state: 'completed' }, at(101));
    }
  });
}
