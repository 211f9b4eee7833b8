// A claim worker in its own process, for describeClaimsAcrossProcesses: opens the store the
// ROUTING_STORE_WORKER task names, prints "ready", waits for a line on stdin, then claims
// ("claimed <jobId> <claim>" per job) and prints "done", or holds one job ("held <jobId> <claim>")
// until it is killed.
import { once } from 'node:events';
import type { RoutingStore } from '../routing-store.port';
import type { WorkerTask } from './claim-processes';

async function main(): Promise<void> {
  const task = JSON.parse(process.env['ROUTING_STORE_WORKER'] ?? '') as WorkerTask;
  const adapter = (await import(task.store.module)) as Record<string, new (options: unknown) => RoutingStore>;
  const Store = adapter[task.store.exportName];
  if (!Store) throw new Error(`${task.store.module} exports no ${task.store.exportName}`);
  const store = new Store(task.store.options);
  await store.start();
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const request = { now: task.now, owner: task.owner, leaseMs: task.leaseMs };
  if (task.mode === 'hold') {
    const [job] = await store.claimDueJobs({ ...request, limit: 1 });
    if (!job?.lease) throw new Error('nothing to hold');
    const claim = { tenantId: job.tenantId, jobId: job.jobId, claim: job.lease.claim };
    if (!(await store.confirmInstances(claim, task.confirm ?? []))) throw new Error('confirm refused');
    process.stdout.write(`held ${job.jobId} ${job.lease.claim}\n`);
    await new Promise(() => undefined);
  }
  for (;;) {
    const jobs = await store.claimDueJobs({ ...request, limit: 3 });
    if (jobs.length === 0) break;
    process.stdout.write(jobs.map((job) => `claimed ${job.jobId} ${job.lease!.claim}\n`).join(''));
  }
  await store.close();
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
