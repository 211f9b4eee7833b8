import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { RoutingStore } from '../routing-store.port';
import { at, claimAt, jobSpec, T0 } from './contract-fixtures';
import { LEASE_EXPIRED } from '../job-record';

const root = join(__dirname, '..', '..', '..', '..');

/** How a claim worker process opens its store: `new (require(module)[exportName])(options)`. */
export interface WorkerStore {
  /** Absolute path of the adapter's module. */
  readonly module: string;
  readonly exportName: string;
  /** The options of the adapter, as JSON: the same database as the test's store. */
  readonly options: Record<string, unknown>;
}

/** What claim-worker.process.ts does. */
export interface WorkerTask {
  readonly store: WorkerStore;
  readonly owner: string;
  readonly now: string;
  readonly leaseMs: number;
  /** drain: claims until nothing is left; hold: claims one job, confirms `confirm`, then waits to be killed. */
  readonly mode: 'drain' | 'hold';
  readonly confirm?: readonly string[];
}

interface Worker {
  readonly child: ChildProcess;
  /** Resolves with the line once the worker printed one starting with `prefix`. */
  line(prefix: string): Promise<string>;
  lines(): string[];
  exited: Promise<number | null>;
}

function startWorker(task: WorkerTask): Worker {
  const child = spawn(
    process.execPath,
    ['-r', join(root, 'tools/testing/register-ts.js'), join(__dirname, 'claim-worker.process.ts')],
    { cwd: root, env: { ...process.env, ROUTING_STORE_WORKER: JSON.stringify(task) }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  const lines = () => out.split('\n').filter((line) => line !== '');
  child.stdout!.setEncoding('utf8').on('data', (data: string) => {
    out += data;
    for (const waiter of [...waiters]) {
      const found = lines().find((line) => line.startsWith(waiter.prefix));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (data: string) => (err += data));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    lines,
    exited,
    line: (prefix) =>
      new Promise<string>((resolve, reject) => {
        const found = lines().find((line) => line.startsWith(prefix));
        if (found !== undefined) return resolve(found);
        waiters.push({ prefix, resolve });
        void exited.then((code) =>
          reject(new Error(`claim worker exited (${String(code)}) before "${prefix}":\n${out}\n${err}`)),
        );
      }),
  };
}

/**
 * Claims made by separate processes on one database: two workers claiming at once never get the
 * same job; a job held by a killed worker is claimed again once its lease expired. `open` gives
 * a started store on a new database and the options for the workers' stores on that database.
 */
export function describeClaimsAcrossProcesses(open: () => Promise<{ store: RoutingStore; worker: WorkerStore }>): void {
  let opened: { store: RoutingStore; worker: WorkerStore } | undefined;
  const workers: Worker[] = [];
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await opened?.store.close();
  });

  it('never gives one job to two processes claiming at once', async () => {
    const { store, worker } = opened!;
    const jobIds = Array.from({ length: 50 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
    for (const jobId of jobIds) await store.createJob(jobSpec(jobId), T0);
    const started = ['worker-a', 'worker-b'].map((owner) =>
      startWorker({ store: worker, owner, now: T0, leaseMs: 30_000, mode: 'drain' }),
    );
    workers.push(...started);
    await Promise.all(started.map((one) => one.line('ready')));
    // Both start claiming at the same moment.
    for (const one of started) one.child.stdin!.end('go\n');
    await Promise.all(started.map((one) => one.line('done')));
    expect(await Promise.all(started.map((one) => one.exited))).toEqual([0, 0]);
    const [a, b] = started.map((one) =>
      one
        .lines()
        .filter((line) => line.startsWith('claimed '))
        .map((line) => line.split(' ')[1]!),
    );
    expect(a!.filter((jobId) => b!.includes(jobId))).toEqual([]);
    expect([...a!, ...b!].sort()).toEqual(jobIds);
    for (const jobId of jobIds) {
      expect(await store.getJob('radiology', jobId)).toMatchObject({ state: 'running', attempts: 1 });
    }
  });

  it('claims the job of a killed process again once its lease expired, keeping what it confirmed', async () => {
    const { store, worker } = opened!;
    await store.createJob(jobSpec('job-1'), T0);
    const confirm = ['1.2.840.1.1.1', '1.2.840.1.1.2'];
    const held = startWorker({ store: worker, owner: 'worker-a', now: T0, leaseMs: 60_000, mode: 'hold', confirm });
    workers.push(held);
    await held.line('ready');
    held.child.stdin!.end('go\n');
    expect(await held.line('held')).toBe('held job-1 1');
    held.child.kill('SIGKILL');
    await held.exited;
    expect(await store.claimDueJobs(claimAt(at(59), 'worker-b'))).toEqual([]);
    const [again] = await store.claimDueJobs(claimAt(at(60), 'worker-b'));
    expect(again).toMatchObject({
      jobId: 'job-1',
      attempts: 2,
      lease: { owner: 'worker-b', claim: 2 },
      confirmed: 2,
      lastError: { code: LEASE_EXPIRED },
    });
    expect(await store.confirmedInstances('radiology', 'job-1')).toEqual(new Set(confirm));
  });
}
