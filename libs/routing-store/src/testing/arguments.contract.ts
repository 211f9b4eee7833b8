import type { ForwardJobSpec, JobClaim, RoutingStore } from '../routing-store.port';
import { contractContext, type OpenStore } from './contract-context';
import { claimAt, expectStoreError, jobSpec, T0 } from './contract-fixtures';

type Call = (store: RoutingStore) => Promise<unknown>;

const claim: JobClaim = { tenantId: 'radiology', jobId: 'job-1', claim: 1 };
const config = { destinations: [], rules: [] };
const spec = (overrides: Record<string, unknown>) => ({ ...jobSpec('job-x'), ...overrides }) as ForwardJobSpec;
const error = { code: 'X', message: 'x' };
// Arguments of the wrong type on purpose: callers in JavaScript, or JSON from a request.
const loose = <T>(value: unknown) => value as T;

/** Each broken argument, the call that passes it, and the field the error names. */
const BROKEN: readonly (readonly [string, Call, string])[] = [
  ['an empty tenant', (s) => s.getConfig(''), 'tenantId'],
  ['a tenant that is not a string', (s) => s.getConfig(loose(7)), 'tenantId'],
  ['a save of no tenant', (s) => s.saveConfig('', config, 0, T0), 'tenantId'],
  [
    'destinations not a list',
    (s) => s.saveConfig('t', loose({ destinations: {}, rules: [] }), 0, T0),
    'documents.destinations',
  ],
  [
    'a rule not an object',
    (s) => s.saveConfig('t', loose({ destinations: [], rules: [[1]] }), 0, T0),
    'documents.rules[0]',
  ],
  [
    'a value JSON cannot hold',
    (s) => s.saveConfig('t', { destinations: [{ id: 'a', port: loose(undefined) }], rules: [] }, 0, T0),
    'documents.destinations[0].port',
  ],
  [
    'a number JSON cannot hold',
    (s) => s.saveConfig('t', { destinations: [], rules: [{ when: { weights: [1, NaN] } }] }, 0, T0),
    'documents.rules[0].when.weights[1]',
  ],
  [
    'a class instance',
    (s) => s.saveConfig('t', { destinations: [loose(new Date())], rules: [] }, 0, T0),
    'documents.destinations[0]',
  ],
  ['a negative revision', (s) => s.saveConfig('t', config, -1, T0), 'expectedRevision'],
  ['a fractional revision', (s) => s.saveConfig('t', config, 1.5, T0), 'expectedRevision'],
  ['a save time that is not ISO 8601', (s) => s.saveConfig('t', config, 0, 'yesterday'), 'now'],
  ['a save time without a zone', (s) => s.saveConfig('t', config, 0, '2024-05-01T10:00:00'), 'now'],
  ['an empty job id', (s) => s.createJob(spec({ jobId: '' }), T0), 'spec.jobId'],
  ['a job id too long', (s) => s.createJob(spec({ jobId: 'j'.repeat(257) }), T0), 'spec.jobId'],
  ['a job of no tenant', (s) => s.createJob(spec({ tenantId: '' }), T0), 'spec.tenantId'],
  ['a job of no destination', (s) => s.createJob(spec({ destinationId: undefined }), T0), 'spec.destinationId'],
  ['no scope', (s) => s.createJob(spec({ scope: undefined }), T0), 'spec.scope'],
  [
    'a study that is not a UID',
    (s) => s.createJob(spec({ scope: { studyInstanceUid: '1.02' } }), T0),
    'spec.scope.studyInstanceUid',
  ],
  [
    'an instance without its series',
    (s) => s.createJob(spec({ scope: { studyInstanceUid: '1.2', sopInstanceUid: '1.2.3' } }), T0),
    'spec.scope.sopInstanceUid',
  ],
  [
    'a series that is not a UID',
    (s) => s.createJob(spec({ scope: { studyInstanceUid: '1.2', seriesInstanceUid: 'x' } }), T0),
    'spec.scope.seriesInstanceUid',
  ],
  ['an unknown trigger', (s) => s.createJob(spec({ trigger: 'sometimes' }), T0), 'spec.trigger'],
  ['rule ids not a list', (s) => s.createJob(spec({ ruleIds: 'r1' }), T0), 'spec.ruleIds'],
  ['an empty rule id', (s) => s.createJob(spec({ ruleIds: ['r1', ''] }), T0), 'spec.ruleIds[1]'],
  ['changes not an object', (s) => s.createJob(spec({ modify: ['set'] }), T0), 'spec.modify'],
  ['changes JSON cannot hold', (s) => s.createJob(spec({ modify: { set: { a: () => 1 } } }), T0), 'spec.modify.set.a'],
  ['no correlation id', (s) => s.createJob(spec({ correlationId: '' }), T0), 'spec.correlationId'],
  ['an empty causation id', (s) => s.createJob(spec({ causationId: '' }), T0), 'spec.causationId'],
  ['no attempt allowed', (s) => s.createJob(spec({ maxAttempts: 0 }), T0), 'spec.maxAttempts'],
  ['attempts not an integer', (s) => s.createJob(spec({ maxAttempts: 2.5 }), T0), 'spec.maxAttempts'],
  ['a creation time not ISO 8601', (s) => s.createJob(jobSpec('job-x'), '2024-13-01T00:00:00Z'), 'now'],
  ['a claim of limit 0', (s) => s.claimDueJobs(claimAt(T0, 'w', { limit: 0 })), 'request.limit'],
  ['a claim of limit 1001', (s) => s.claimDueJobs(claimAt(T0, 'w', { limit: 1001 })), 'request.limit'],
  ['a lease of 0 ms', (s) => s.claimDueJobs(claimAt(T0, 'w', { leaseMs: 0 })), 'request.leaseMs'],
  ['a lease over a day', (s) => s.claimDueJobs(claimAt(T0, 'w', { leaseMs: 86_400_001 })), 'request.leaseMs'],
  ['a claim by nobody', (s) => s.claimDueJobs(claimAt(T0, '')), 'request.owner'],
  ['a claim time not ISO 8601', (s) => s.claimDueJobs(claimAt('now')), 'request.now'],
  [
    'a destination of no tenant',
    (s) => s.claimDueJobs(claimAt(T0, 'w', { destination: { tenantId: '', destinationId: 'd' } })),
    'request.destination.tenantId',
  ],
  ['a claim number of 0', (s) => s.renewLease({ ...claim, claim: 0 }, T0), 'claim.claim'],
  ['a claim of no job', (s) => s.renewLease({ ...claim, jobId: '' }, T0), 'claim.jobId'],
  ['a lease end not ISO 8601', (s) => s.renewLease(claim, 'later'), 'until'],
  ['confirmed UIDs not a list', (s) => s.confirmInstances(claim, loose('1.2')), 'sopInstanceUids'],
  ['a confirmed UID that is not one', (s) => s.confirmInstances(claim, ['1.2', 'x']), 'sopInstanceUids[1]'],
  ['a confirmation of no tenant', (s) => s.confirmInstances({ ...claim, tenantId: '' }, ['1.2']), 'claim.tenantId'],
  ['confirmations of no tenant', (s) => s.confirmedInstances('', 'job-1'), 'tenantId'],
  [
    'a rejected UID that is not one',
    (s) => s.rejectInstance(claim, { ...error, sopInstanceUid: '' }),
    'rejection.sopInstanceUid',
  ],
  [
    'a rejection of no code',
    (s) => s.rejectInstance(claim, { sopInstanceUid: '1.2', code: '', message: 'x' }),
    'rejection.code',
  ],
  [
    'a rejection of no message',
    (s) => s.rejectInstance(claim, loose({ sopInstanceUid: '1.2', code: 'X' })),
    'rejection.message',
  ],
  [
    'a remote status out of range',
    (s) => s.rejectInstance(claim, { ...error, sopInstanceUid: '1.2', remoteStatus: 70_000 }),
    'rejection.remoteStatus',
  ],
  ['an unknown outcome', (s) => s.finishJob(claim, loose({ state: 'done' }), T0), 'outcome.state'],
  ['a failure without its error', (s) => s.finishJob(claim, loose({ state: 'failed' }), T0), 'outcome.error'],
  [
    'a retry without its time',
    (s) => s.finishJob(claim, loose({ state: 'pending', error }), T0),
    'outcome.nextAttemptAt',
  ],
  ['a finish time not ISO 8601', (s) => s.finishJob(claim, { state: 'completed' }, ''), 'now'],
  ['a job read of no id', (s) => s.getJob('radiology', ''), 'jobId'],
  ['a page of 0 jobs', (s) => s.listJobs('radiology', {}, { limit: 0 }), 'page.limit'],
  ['a page after nothing known', (s) => s.listJobs('radiology', {}, { limit: 1, after: 'garbage' }), 'page.after'],
  ['an unknown state', (s) => s.listJobs('radiology', loose({ state: 'lost' }), { limit: 1 }), 'filter.state'],
  [
    'a listed study not a UID',
    (s) => s.listJobs('radiology', { studyInstanceUid: 'x' }, { limit: 1 }),
    'filter.studyInstanceUid',
  ],
  ['a listing of no tenant', (s) => s.listJobs('', {}, { limit: 1 }), 'tenantId'],
  ['a retry time not ISO 8601', (s) => s.retryJob('radiology', 'job-1', 'now'), 'now'],
  ['a cancel of no job', (s) => s.cancelJob('radiology', '', T0), 'jobId'],
];

export function describeArguments(open: OpenStore): void {
  const context = contractContext(open);

  it.each(BROKEN)('refuses %s with an INVALID_ARGUMENT naming it, writing nothing', async (_what, call, field) => {
    await expectStoreError(call(context.store), 'INVALID_ARGUMENT', field);
    expect(await context.store.getConfig('t')).toMatchObject({ revision: 0 });
    expect(await context.store.listJobs('radiology', {}, { limit: 10 })).toEqual({ jobs: [] });
    expect(await context.store.queueStats()).toEqual([]);
  });
}
