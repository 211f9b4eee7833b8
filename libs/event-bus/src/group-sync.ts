const noop = (): void => undefined;

/**
 * Group commit of an fsync: `sync()` resolves after a flush that started after the call, so it
 * covers every write made before the call. Callers that arrive while a flush runs share the next
 * one: one fsync for all of them, however many there are.
 */
export class GroupSync {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  sync(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    // The flush in progress may have started before the caller's write: wait for the next one.
    this.queued = this.running.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.flush().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
