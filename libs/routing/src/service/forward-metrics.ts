import type { RoutingStore } from '@pacs/routing-store';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels = { tenant: string; destination: string };

/**
 * The router's metrics on /metrics: per destination, the queue (pending, running and failed jobs,
 * read from the routing store at each scrape, so every replica reports the same), the age of the
 * oldest pending job, and this process's instances sent or refused, jobs completed, failed or
 * retried, and send latency.
 */
export class ForwardMetrics {
  private readonly instances: Counter<'tenant' | 'destination' | 'outcome'>;
  private readonly jobs: Counter<'tenant' | 'destination' | 'outcome'>;
  private readonly latency: Histogram<'tenant' | 'destination'>;

  constructor(registry: Registry, store: RoutingStore) {
    this.instances = new Counter({
      name: 'pacs_forward_instances_total',
      help: 'Instances forwarded: confirmed by the destination, or refused for good',
      labelNames: ['tenant', 'destination', 'outcome'],
      registers: [registry],
    });
    this.jobs = new Counter({
      name: 'pacs_forward_jobs_total',
      help: 'Forward job attempts that ended: completed, failed (dead-lettered) or retried later',
      labelNames: ['tenant', 'destination', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'pacs_forward_send_seconds',
      help: 'Time to send one instance and have the destination answer',
      labelNames: ['tenant', 'destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    const depth = new Gauge({
      name: 'pacs_forward_queue_depth',
      help: 'Forward jobs by state (pending, running, failed) per destination',
      labelNames: ['tenant', 'destination', 'state'],
      registers: [registry],
      async collect() {
        depth.reset();
        oldest.reset();
        for (const stats of await store.queueStats()) {
          const labels = { tenant: stats.tenantId, destination: stats.destinationId };
          depth.set({ ...labels, state: 'pending' }, stats.pending);
          depth.set({ ...labels, state: 'running' }, stats.running);
          depth.set({ ...labels, state: 'failed' }, stats.failed);
          const age = stats.oldestPendingAt ? (Date.now() - Date.parse(stats.oldestPendingAt)) / 1000 : 0;
          oldest.set(labels, Math.max(0, age));
        }
      },
    });
    const oldest = new Gauge({
      name: 'pacs_forward_oldest_pending_seconds',
      help: 'Age of the oldest pending forward job per destination (0 when none)',
      labelNames: ['tenant', 'destination'],
      registers: [registry],
    });
  }

  instance(labels: Labels, outcome: 'confirmed' | 'rejected', seconds: number): void {
    this.instances.inc({ ...labels, outcome });
    this.latency.observe(labels, seconds);
  }

  job(labels: Labels, outcome: 'completed' | 'failed' | 'retried'): void {
    this.jobs.inc({ ...labels, outcome });
  }
}
