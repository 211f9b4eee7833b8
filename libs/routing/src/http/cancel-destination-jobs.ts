import type { RoutingStore } from '@pacs/routing-store';

const PAGE = 1000;

/**
 * Cancels the pending and running jobs of a destination that was just deleted: the workers only
 * claim the jobs of configured destinations, so these would otherwise stay pending for ever.
 * Failed ones stay as they are (dead letters to look at). Resolves with how many were cancelled.
 */
export async function cancelDestinationJobs(
  store: Pick<RoutingStore, 'listJobs' | 'cancelJob'>,
  tenantId: string,
  destinationId: string,
): Promise<number> {
  let cancelled = 0;
  for (const state of ['pending', 'running'] as const) {
    let after: string | undefined;
    do {
      const page = await store.listJobs(
        tenantId,
        { destinationId, state },
        { limit: PAGE, ...(after ? { after } : {}) },
      );
      for (const job of page.jobs) {
        const now = new Date().toISOString();
        if ((await store.cancelJob(tenantId, job.jobId, now))?.state === 'cancelled') cancelled++;
      }
      after = page.next;
    } while (after);
  }
  return cancelled;
}
