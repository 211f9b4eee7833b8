/** What a periodic task logs through (pino-compatible). */
export interface PeriodicTaskLogger {
  /** A run failed; the next one retries. */
  warn(context: Record<string, unknown>, message: string): void;
}

/**
 * Runs `run` every `intervalMs` after the previous run ended (runs never overlap), from start()
 * until stop(). A failing run is logged and the next tick tries again. The timer does not keep
 * the process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly logger: PeriodicTaskLogger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops scheduling and resolves once a run in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    try {
      await this.run();
    } catch (error) {
      this.logger.warn({ err: error, task: this.name }, 'periodic task failed: retrying next tick');
    }
  }
}
