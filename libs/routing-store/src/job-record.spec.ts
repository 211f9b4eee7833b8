import {
  cancelledRecord,
  claimedRecord,
  dueAtOf,
  finishedRecord,
  forwardJobOf,
  LEASE_EXPIRED,
  newJobRecord,
  renewedRecord,
  retriedRecord,
  type JobRecord,
} from './job-record';
import type { ForwardJobSpec } from './routing-store.port';

const spec: ForwardJobSpec = {
  jobId: 'job-1',
  tenantId: 'radiology',
  destinationId: 'archive',
  scope: { studyInstanceUid: '1.2.3' },
  trigger: 'instance',
  ruleIds: ['r1'],
  correlationId: 'c1',
  maxAttempts: 2,
};
const T0 = '2024-05-01T10:00:00.000Z';
const T30 = '2024-05-01T10:00:30.000Z';
const claim = (job: JobRecord, now: string, owner = 'w1') => claimedRecord(job, { now, owner, leaseMs: 30_000 });

describe('job records', () => {
  it('are due when pending at their next attempt, when running at their lease end, else never', () => {
    const job = newJobRecord(spec, T0);
    expect(dueAtOf(job)).toBe(T0);
    const running = claim(job, T0)!;
    expect(dueAtOf(running)).toBe(T30);
    expect(dueAtOf(finishedRecord(running, 1, { state: 'completed' }, T0)!)).toBeNull();
    expect(dueAtOf(cancelledRecord(job, T0)!)).toBeNull();
  });

  it('are claimed only when due, each claim numbered and counted as an attempt', () => {
    const job = newJobRecord(spec, T30);
    expect(claim(job, T0)).toBeUndefined();
    const first = claim(job, T30)!;
    expect(first).toMatchObject({ state: 'running', attempts: 1, claims: 1, lease: { owner: 'w1', claim: 1 } });
    expect(claim(first, T30)).toBeUndefined();
    const second = claim(first, '2024-05-01T10:01:00.000Z', 'w2')!;
    expect(second).toMatchObject({ attempts: 2, claims: 2, lease: { owner: 'w2', claim: 2 } });
    expect(second.lastError).toMatchObject({ code: LEASE_EXPIRED });
    // No attempt left: the next expiry fails it.
    expect(claim(second, '2024-05-01T10:02:00.000Z')).toMatchObject({ state: 'failed', lease: null, attempts: 2 });
  });

  it('take writes under the current claim only', () => {
    const running = claim(newJobRecord(spec, T0), T0)!;
    expect(renewedRecord(running, 2, T30)).toBeUndefined();
    expect(renewedRecord(running, 1, T30)!.lease!.until).toBe(T30);
    expect(finishedRecord(running, 2, { state: 'completed' }, T30)).toBeUndefined();
    const cancelled = cancelledRecord(running, T30)!;
    expect(renewedRecord(cancelled, 1, T30)).toBeUndefined();
    expect(retriedRecord(running, T30)).toBeUndefined();
    expect(retriedRecord(cancelled, T30)).toMatchObject({ state: 'pending', attempts: 0, round: 1, claims: 1 });
  });

  it('are returned without their internal counters, rejections by UID', () => {
    const job = forwardJobOf(newJobRecord(spec, T0), 0, [
      { sopInstanceUid: '1.3', code: 'B', message: 'b' },
      { sopInstanceUid: '1.2', code: 'A', message: 'a' },
    ]);
    expect(Object.keys(job)).not.toContain('claims');
    expect(Object.keys(job)).not.toContain('round');
    expect(job.rejected.map((rejection) => rejection.sopInstanceUid)).toEqual(['1.2', '1.3']);
  });
});
