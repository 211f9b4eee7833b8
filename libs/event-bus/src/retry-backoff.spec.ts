import { computeRetryDelayMs, sleepUnlessAborted } from './retry-backoff';

describe('computeRetryDelayMs', () => {
  const options = { retryBackoffMs: 100, maxRetryBackoffMs: 1000 };

  it('doubles the ceiling on each failed attempt', () => {
    const top = (): number => 0.999999;
    expect([1, 2, 3, 4].map((n) => computeRetryDelayMs(n, options, top))).toEqual([99, 199, 399, 799]);
  });

  it('never exceeds maxRetryBackoffMs, even after many attempts', () => {
    expect(computeRetryDelayMs(5, options, () => 0.999999)).toBe(999);
    expect(computeRetryDelayMs(5000, options, () => 0.999999)).toBe(999);
  });

  it('is fully jittered: anywhere from 0 to the ceiling', () => {
    expect(computeRetryDelayMs(3, options, () => 0)).toBe(0);
    expect(computeRetryDelayMs(3, options, () => 0.5)).toBe(200);
    const samples = Array.from({ length: 200 }, () => computeRetryDelayMs(3, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(400);
    expect(new Set(samples).size).toBeGreaterThan(10);
  });

  it('treats attempt 0 as the first retry', () => {
    expect(computeRetryDelayMs(0, options, () => 0.999999)).toBe(99);
  });
});

describe('sleepUnlessAborted', () => {
  it('resolves true after the delay', async () => {
    await expect(sleepUnlessAborted(5, new AbortController().signal)).resolves.toBe(true);
  });

  it('resolves false as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleepUnlessAborted(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('resolves false at once on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleepUnlessAborted(60_000, controller.signal)).resolves.toBe(false);
  });
});
