import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicTask, type PeriodicTaskLogger } from './periodic-task';

/**
 * A PeriodicTask run from the application's start (the adapters are started then) until its
 * shutdown begins (before the adapters close; a run in progress is awaited). A subclass schedules
 * its run in its constructor, or nothing when it has nothing to run.
 */
export abstract class PeriodicSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private task: PeriodicTask | undefined;
  /** Set when the shutdown begins: a long run ends the step in progress and returns. */
  protected stopping = false;

  /** Runs `run` every `intervalMs` once the application has started. */
  protected schedule(name: string, intervalMs: number, run: () => Promise<void>, logger: PeriodicTaskLogger): void {
    this.task = new PeriodicTask(name, intervalMs, run, logger);
  }

  onApplicationBootstrap(): void {
    this.task?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.task?.stop();
  }
}
