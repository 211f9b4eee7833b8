import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RouterConfig } from '@pacs/config';
import type { RoutingStore } from '@pacs/routing-store';
import type { ForwardLogger, RunForwardJobUseCase } from './run-forward-job.use-case';
import type { RoutingConfigService } from './routing-config.service';

/** How long shutdown waits for the jobs in flight; the others' leases expire and they are taken over. */
const SHUTDOWN_WAIT_MS = 10_000;
/** How often the list of tenants with routing is read again. */
const TENANTS_REFRESH_MS = 2000;

/**
 * The forward workers of this process: every PACS_FORWARD_POLL_MS (at once when a job is created
 * here) they claim due jobs from the routing store, destination by destination, no more than the
 * destination's maxConcurrency in flight here and PACS_FORWARD_WORKERS in all, and run them.
 * Several replicas share the jobs through the store's exclusive leased claims.
 */
export class ForwardWorker {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<Promise<void>, string>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wokenMeanwhile = false;
  private tenants: { ids: string[]; readAt: number } = { ids: [], readAt: 0 };

  constructor(
    private readonly store: RoutingStore,
    private readonly configs: Pick<RoutingConfigService, 'tenant'>,
    private readonly runner: Pick<RunForwardJobUseCase, 'run'>,
    private readonly config: Pick<RouterConfig, 'workers' | 'pollMs' | 'leaseMs'>,
    private readonly logger: ForwardLogger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.runLoop();
  }

  /** Looks for due jobs now (a job was just created). */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenMeanwhile = true;
  }

  /** Stops claiming, and waits a while for the jobs in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.inFlight.keys()),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let claimedAll = false;
      try {
        claimedAll = await this.claimRound();
      } catch (error) {
        this.logger.warn(
          { error: error instanceof Error ? error.message : String(error) },
          'claiming forward jobs failed',
        );
      }
      // A round that filled every free slot may have left due jobs behind: look again at once.
      if (!claimedAll || !this.running) await this.pause();
    }
  }

  /** Claims for each destination with room; true when the process has no free slot left. */
  private async claimRound(): Promise<boolean> {
    const now = Date.now();
    if (now - this.tenants.readAt > TENANTS_REFRESH_MS) {
      this.tenants = { ids: await this.store.listTenantsWithConfig(), readAt: now };
    }
    for (const tenantId of this.tenants.ids) {
      for (const destination of (await this.configs.tenant(tenantId)).destinations) {
        const free = this.config.workers - this.inFlight.size;
        if (free <= 0 || !this.running) return true;
        const key = `${tenantId}/${destination.id}`;
        const busy = [...this.inFlight.values()].filter((k) => k === key).length;
        const limit = Math.min(free, destination.maxConcurrency - busy);
        if (limit <= 0) continue;
        const jobs = await this.store.claimDueJobs({
          now: new Date().toISOString(),
          owner: this.owner,
          leaseMs: this.config.leaseMs,
          limit,
          destination: { tenantId, destinationId: destination.id },
        });
        for (const job of jobs) this.track(this.runner.run(job), key);
      }
    }
    return this.inFlight.size >= this.config.workers;
  }

  private track(run: Promise<void>, key: string): void {
    const tracked = run
      .catch((error: unknown) => {
        this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'forward job crashed');
      })
      .finally(() => {
        this.inFlight.delete(tracked);
        // A slot is free: its destination may have more due.
        this.wake();
      });
    this.inFlight.set(tracked, key);
  }

  private pause(): Promise<void> {
    if (this.wokenMeanwhile) {
      this.wokenMeanwhile = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.config.pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
