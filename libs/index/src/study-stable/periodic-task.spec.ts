import { deferred, waitFor } from '@pacs/event-bus/testing';
import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  const warnings: string[] = [];
  const logger = {
    warn: (context: Record<string, unknown>) => void warnings.push(String((context.err as Error).message)),
  };
  beforeEach(() => (warnings.length = 0));

  it('runs every interval, logs a failing run and runs again at the next tick', async () => {
    let runs = 0;
    const task = new PeriodicTask(
      'test',
      10,
      async () => {
        runs += 1;
        if (runs === 2) throw new Error('index unavailable');
      },
      logger,
    );
    task.start();
    await waitFor(() => runs >= 4, 2000, 'four runs');
    await task.stop();
    expect(warnings).toEqual(['index unavailable']);
  });

  it('never overlaps runs, and stop() waits for the run in progress, after which none starts', async () => {
    const release = deferred();
    let running = 0;
    let most = 0;
    let runs = 0;
    const task = new PeriodicTask(
      'test',
      5,
      async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        if (runs === 1) await release.promise;
        running -= 1;
      },
      logger,
    );
    task.start();
    await waitFor(() => runs === 1, 2000, 'the first run');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(1);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ runs, most, running }).toEqual({ runs: 1, most: 1, running: 0 });
  });
});
