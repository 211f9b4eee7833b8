import type { ForwardJob, RoutingStore } from '../routing-store.port';
import { contractContext, type OpenStore } from './contract-context';
import { at, claimAt, claimOf, jobSpec, T0 } from './contract-fixtures';

/**
 * Creates the job at `now` and takes it to `state`. A job taken to running, completed or failed
 * is claimed at `now` with every job of its destination due by then: create pending ones after.
 */
async function jobIn(
  store: RoutingStore,
  jobId: string,
  state: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled',
  now = T0,
  spec: Parameters<typeof jobSpec>[1] = {},
): Promise<void> {
  await store.createJob(jobSpec(jobId, spec), now);
  if (state === 'pending') return;
  if (state === 'cancelled') {
    await store.cancelJob(spec.tenantId ?? 'radiology', jobId, now);
    return;
  }
  const destination = { tenantId: spec.tenantId ?? 'radiology', destinationId: spec.destinationId ?? 'archive' };
  const [job] = (await store.claimDueJobs(claimAt(now, 'worker-1', { destination, limit: 100 }))).filter(
    (claimed) => claimed.jobId === jobId,
  );
  if (!job) throw new Error(`${jobId} was not claimed`);
  if (state === 'completed') await store.finishJob(claimOf(job), { state: 'completed' }, now);
  if (state === 'failed') {
    await store.finishJob(claimOf(job), { state: 'failed', error: { code: 'REFUSED', message: 'no' } }, now);
  }
}

export function describeJobs(open: OpenStore): void {
  const context = contractContext(open);

  it('creates a pending job due now, and reads it back whole', async () => {
    const spec = jobSpec('job-1', {
      scope: { studyInstanceUid: '1.2.840.1', seriesInstanceUid: '1.2.840.1.1', sopInstanceUid: '1.2.840.1.1.1' },
      trigger: 'instance',
      ruleIds: ['ct', 'all'],
      modify: { set: { InstitutionName: 'General', '$odd.key': [1, { deep: null }] }, remove: ['PatientComments'] },
      causationId: 'event-7',
      maxAttempts: 5,
    });
    expect(await context.store.createJob(spec, '2024-05-01T12:00:00+02:00')).toBe('created');
    const expected: ForwardJob = {
      ...spec,
      state: 'pending',
      attempts: 0,
      createdAt: T0,
      updatedAt: T0,
      nextAttemptAt: T0,
      lease: null,
      confirmed: 0,
      rejected: [],
      lastError: null,
      completedAt: null,
    };
    expect(await context.store.getJob('radiology', 'job-1')).toStrictEqual(expected);
    // Another connection reads the same.
    expect(await (await context.another()).getJob('radiology', 'job-1')).toStrictEqual(expected);
  });

  it('leaves optional fields out of a job created without them', async () => {
    await context.store.createJob(jobSpec('job-1', { trigger: 'manual', ruleIds: [] }), T0);
    const job = await context.store.getJob('radiology', 'job-1');
    expect(job).toMatchObject({ trigger: 'manual', ruleIds: [] });
    expect(Object.keys(job!)).not.toContain('modify');
    expect(Object.keys(job!)).not.toContain('causationId');
  });

  it('answers exists to a job created again, changing nothing', async () => {
    const { store } = context;
    await store.createJob(jobSpec('job-1'), T0);
    const before = await store.getJob('radiology', 'job-1');
    expect(await store.createJob(jobSpec('job-1', { destinationId: 'other', maxAttempts: 9 }), at(60))).toBe('exists');
    expect(await store.getJob('radiology', 'job-1')).toEqual(before);
  });

  it('creates a job once when two connections create it at once', async () => {
    const stores = [context.store, await context.another()];
    for (let i = 0; i < 10; i++) {
      const created = await Promise.all(stores.map((store) => store.createJob(jobSpec(`job-${i}`), T0)));
      expect(created.sort()).toEqual(['created', 'exists']);
    }
    expect((await context.store.listJobs('radiology', {}, { limit: 100 })).jobs).toHaveLength(10);
  });

  it("keeps each tenant's jobs apart, even under the same job id", async () => {
    const { store } = context;
    await store.createJob(jobSpec('job-1'), T0);
    expect(await store.getJob('cardiology', 'job-1')).toBeUndefined();
    expect(await store.getJob('radiology', 'job-2')).toBeUndefined();
    expect(await store.createJob(jobSpec('job-1', { tenantId: 'cardiology', destinationId: 'echo' }), at(1))).toBe(
      'created',
    );
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({ destinationId: 'archive', createdAt: T0 });
    expect(await store.getJob('cardiology', 'job-1')).toMatchObject({ destinationId: 'echo', createdAt: at(1) });
    // Another tenant cannot cancel, retry or list it.
    expect(await store.cancelJob('radiology', 'job-1', at(2))).toMatchObject({ tenantId: 'radiology' });
    expect(await store.getJob('cardiology', 'job-1')).toMatchObject({ state: 'pending', updatedAt: at(1) });
    expect(await store.retryJob('radiology', 'job-1', at(3))).toMatchObject({ tenantId: 'radiology' });
    expect(await store.getJob('cardiology', 'job-1')).toMatchObject({ state: 'pending', updatedAt: at(1) });
    expect(await store.cancelJob('dermatology', 'job-1', at(3))).toBeUndefined();
    expect(await store.retryJob('dermatology', 'job-1', at(3))).toBeUndefined();
    expect((await store.listJobs('cardiology', {}, { limit: 10 })).jobs.map((job) => job.tenantId)).toEqual([
      'cardiology',
    ]);
    expect(await store.listJobs('dermatology', {}, { limit: 10 })).toEqual({ jobs: [] });
    // A worker's claim is for one tenant's job.
    const [claimed] = await store.claimDueJobs(
      claimAt(at(4), 'worker-1', { destination: { tenantId: 'cardiology', destinationId: 'echo' } }),
    );
    const wrongTenant = { ...claimOf(claimed!), tenantId: 'radiology' };
    expect(await store.renewLease(wrongTenant, at(100))).toBe(false);
    expect(await store.confirmInstances(wrongTenant, ['1.2.840.1.1.1'])).toBe(false);
    expect(await store.finishJob(wrongTenant, { state: 'completed' }, at(5))).toBe(false);
    expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set());
    expect(await store.getJob('radiology', 'job-1')).toMatchObject({ state: 'pending', updatedAt: at(3) });
  });

  describe('cancel', () => {
    it('cancels a pending job, which is then never claimed', async () => {
      const { store } = context;
      await store.createJob(jobSpec('job-1'), T0);
      const cancelled = await store.cancelJob('radiology', 'job-1', at(5));
      expect(cancelled).toMatchObject({ state: 'cancelled', updatedAt: at(5), nextAttemptAt: null, lease: null });
      expect(await store.getJob('radiology', 'job-1')).toEqual(cancelled);
      expect(await store.claimDueJobs(claimAt(at(3600)))).toEqual([]);
    });

    it("cancels a running job: its worker's next renew, confirm, reject or finish is refused", async () => {
      const { store } = context;
      await store.createJob(jobSpec('job-1'), T0);
      const [job] = await store.claimDueJobs(claimAt(T0));
      expect(await store.confirmInstances(claimOf(job!), ['1.2.840.1.1.1'])).toBe(true);
      expect(await store.cancelJob('radiology', 'job-1', at(5))).toMatchObject({
        state: 'cancelled',
        lease: null,
        attempts: 1,
        confirmed: 1,
      });
      expect(await store.renewLease(claimOf(job!), at(60))).toBe(false);
      expect(await store.confirmInstances(claimOf(job!), ['1.2.840.1.1.2'])).toBe(false);
      const rejection = { sopInstanceUid: '1.2.840.1.1.3', code: 'X', message: 'x' };
      expect(await store.rejectInstance(claimOf(job!), rejection)).toBe(false);
      expect(await store.finishJob(claimOf(job!), { state: 'completed' }, at(6))).toBe(false);
      expect(await store.getJob('radiology', 'job-1')).toMatchObject({
        state: 'cancelled',
        confirmed: 1,
        rejected: [],
      });
      // Nor is it claimed once the lease would have expired.
      expect(await store.claimDueJobs(claimAt(at(3600)))).toEqual([]);
    });

    it('returns a job in another state as it is, and undefined for an unknown one', async () => {
      const { store } = context;
      await jobIn(store, 'completed', 'completed');
      await jobIn(store, 'failed', 'failed');
      await jobIn(store, 'cancelled', 'cancelled');
      for (const jobId of ['completed', 'failed', 'cancelled']) {
        const before = await store.getJob('radiology', jobId);
        expect(await store.cancelJob('radiology', jobId, at(60))).toEqual(before);
        expect(await store.getJob('radiology', jobId)).toEqual(before);
      }
      expect(await store.cancelJob('radiology', 'unknown', at(60))).toBeUndefined();
    });

    it('lets either a finish or a cancel made at once win, never both', async () => {
      const stores = [context.store, await context.another()];
      for (let i = 0; i < 10; i++) {
        await context.store.createJob(jobSpec(`job-${i}`), T0);
        const [job] = await context.store.claimDueJobs(claimAt(T0, 'worker-1', { limit: 1 }));
        const [finished, cancelled] = await Promise.all([
          stores[i % 2]!.finishJob(claimOf(job!), { state: 'completed' }, at(1)),
          stores[(i + 1) % 2]!.cancelJob('radiology', job!.jobId, at(1)),
        ]);
        const final = await context.store.getJob('radiology', job!.jobId);
        expect(final!.state).toBe(finished ? 'completed' : 'cancelled');
        expect(cancelled!.state).toBe(final!.state);
      }
    });
  });

  describe('retry', () => {
    it('makes a failed job pending again now with no attempt, keeping its last error and confirmations', async () => {
      const { store } = context;
      await store.createJob(jobSpec('job-1', { maxAttempts: 1 }), T0);
      const [job] = await store.claimDueJobs(claimAt(T0));
      await store.confirmInstances(claimOf(job!), ['1.2.840.1.1.1']);
      const rejection = {
        sopInstanceUid: '1.2.840.1.1.2',
        code: 'SOP_CLASS',
        message: 'refused',
        remoteStatus: 0x0122,
      };
      await store.rejectInstance(claimOf(job!), rejection);
      const error = { code: 'REJECTED', message: '1 instance refused', remoteStatus: 0x0122 };
      await store.finishJob(claimOf(job!), { state: 'failed', error }, at(10));
      expect(await store.getJob('radiology', 'job-1')).toMatchObject({ state: 'failed', rejected: [rejection] });
      const retried = await store.retryJob('radiology', 'job-1', at(100));
      expect(retried).toMatchObject({
        state: 'pending',
        attempts: 0,
        updatedAt: at(100),
        nextAttemptAt: at(100),
        lease: null,
        lastError: error,
        confirmed: 1,
        rejected: [],
      });
      expect(await store.getJob('radiology', 'job-1')).toEqual(retried);
      expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set(['1.2.840.1.1.1']));
      const [again] = await store.claimDueJobs(claimAt(at(100), 'worker-2'));
      expect(again).toMatchObject({ jobId: 'job-1', attempts: 1, lease: { owner: 'worker-2', claim: 2 } });
      // The instance refused before can be refused again, in this round.
      expect(await store.rejectInstance(claimOf(again!), { ...rejection, message: 'still refused' })).toBe(true);
      expect((await store.getJob('radiology', 'job-1'))!.rejected).toEqual([
        { ...rejection, message: 'still refused' },
      ]);
    });

    it('makes a cancelled job pending again', async () => {
      const { store } = context;
      await jobIn(store, 'job-1', 'cancelled');
      expect(await store.retryJob('radiology', 'job-1', at(10))).toMatchObject({ state: 'pending', attempts: 0 });
      expect(await store.claimDueJobs(claimAt(at(10)))).toHaveLength(1);
    });

    it('returns a job in another state as it is, and undefined for an unknown one', async () => {
      const { store } = context;
      await jobIn(store, 'running', 'running');
      await jobIn(store, 'completed', 'completed');
      await jobIn(store, 'pending', 'pending');
      for (const jobId of ['pending', 'running', 'completed']) {
        const before = await store.getJob('radiology', jobId);
        expect(await store.retryJob('radiology', jobId, at(60))).toEqual(before);
        expect(await store.getJob('radiology', jobId)).toEqual(before);
      }
      expect(await store.retryJob('radiology', 'unknown', at(60))).toBeUndefined();
    });
  });

  describe('listing', () => {
    it('lists newest first (then by job id), filtered, a page at a time', async () => {
      const { store } = context;
      // Created in this order; job-c and job-d at the same time.
      const created = [
        ['job-a', 0, 'archive', '1.2.840.1'],
        ['job-b', 1, 'ai', '1.2.840.1'],
        ['job-c', 2, 'archive', '1.2.840.2'],
        ['job-d', 2, 'archive', '1.2.840.3'],
        ['job-e', 3, 'ai', '1.2.840.2'],
        ['job-f', 4, 'archive', '1.2.840.2'],
        ['job-g', 5, 'archive', '1.2.840.1'],
      ] as const;
      for (const [jobId, second, destinationId, studyInstanceUid] of created) {
        await store.createJob(jobSpec(jobId, { destinationId, scope: { studyInstanceUid } }), at(second));
      }
      await store.createJob(jobSpec('job-z', { tenantId: 'cardiology' }), at(10));
      await store.cancelJob('radiology', 'job-f', at(20));

      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listJobs('radiology', {}, { limit: 3, ...(after ? { after } : {}) });
        pages.push(page.jobs.map((job) => job.jobId));
        if (!page.next) break;
        after = page.next;
      }
      expect(pages).toEqual([['job-g', 'job-f', 'job-e'], ['job-d', 'job-c', 'job-b'], ['job-a']]);
      const all = await store.listJobs('radiology', {}, { limit: 7 });
      expect(all.next).toBeUndefined();
      expect(all.jobs[1]).toEqual(await store.getJob('radiology', 'job-f'));

      const ids = async (filter: Parameters<RoutingStore['listJobs']>[1], limit = 100) =>
        (await store.listJobs('radiology', filter, { limit })).jobs.map((job) => job.jobId);
      expect(await ids({ destinationId: 'ai' })).toEqual(['job-e', 'job-b']);
      expect(await ids({ studyInstanceUid: '1.2.840.2' })).toEqual(['job-f', 'job-e', 'job-c']);
      expect(await ids({ state: 'cancelled' })).toEqual(['job-f']);
      expect(await ids({ state: 'pending', destinationId: 'archive', studyInstanceUid: '1.2.840.2' })).toEqual([
        'job-c',
      ]);
      expect(await ids({ state: 'failed' })).toEqual([]);
      const first = await store.listJobs('radiology', { destinationId: 'archive' }, { limit: 2 });
      expect(first.jobs.map((job) => job.jobId)).toEqual(['job-g', 'job-f']);
      const second = await store.listJobs('radiology', { destinationId: 'archive' }, { limit: 2, after: first.next! });
      expect(second.jobs.map((job) => job.jobId)).toEqual(['job-d', 'job-c']);
    });

    it('lists the jobs as claims, progress and finishes left them', async () => {
      const { store } = context;
      await store.createJob(jobSpec('job-1'), T0);
      const [job] = await store.claimDueJobs(claimAt(at(1)));
      await store.confirmInstances(claimOf(job!), ['1.2.840.1.1.1', '1.2.840.1.1.2']);
      const { jobs } = await store.listJobs('radiology', { state: 'running' }, { limit: 1 });
      expect(jobs).toEqual([await store.getJob('radiology', 'job-1')]);
      expect(jobs[0]).toMatchObject({ confirmed: 2, attempts: 1, lease: { owner: 'worker-1', claim: 1 } });
    });
  });

  describe('queue stats', () => {
    it('counts per tenant and destination the jobs pending, running and failed, with the oldest pending', async () => {
      const { store } = context;
      expect(await store.queueStats()).toEqual([]);
      await jobIn(store, 'r1', 'pending', at(5));
      await jobIn(store, 'r2', 'pending', at(2));
      await jobIn(store, 'r3', 'running', at(1));
      await jobIn(store, 'r4', 'failed', at(1));
      await jobIn(store, 'r5', 'failed', at(1));
      await jobIn(store, 'w1', 'completed', at(1), { destinationId: 'workstation' });
      await jobIn(store, 'w2', 'cancelled', at(1), { destinationId: 'workstation' });
      await jobIn(store, 'c1', 'running', at(3), { tenantId: 'cardiology' });
      await jobIn(store, 'c2', 'pending', at(4), { tenantId: 'cardiology', destinationId: 'ai' });
      expect(await store.queueStats()).toEqual([
        { tenantId: 'cardiology', destinationId: 'ai', pending: 1, running: 0, failed: 0, oldestPendingAt: at(4) },
        { tenantId: 'cardiology', destinationId: 'archive', pending: 0, running: 1, failed: 0, oldestPendingAt: null },
        { tenantId: 'radiology', destinationId: 'archive', pending: 2, running: 1, failed: 2, oldestPendingAt: at(2) },
      ]);
      await store.retryJob('radiology', 'r4', at(10));
      expect((await store.queueStats())[2]).toEqual({
        tenantId: 'radiology',
        destinationId: 'archive',
        pending: 3,
        running: 1,
        failed: 1,
        oldestPendingAt: at(1),
      });
    });
  });
}
