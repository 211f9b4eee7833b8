/** Bounds of the retry delays of one subscription. */
export interface RetryBackoffOptions {
  /** Ceiling of the first retry delay. */
  readonly retryBackoffMs: number;
  /** Ceiling of any retry delay. */
  readonly maxRetryBackoffMs: number;
}

/**
 * Delay before retry number `failedAttempts` (1 after the first failure): exponential with full
 * jitter, i.e. uniform in [0, min(max, base * 2^(failedAttempts - 1))]. Full jitter spreads the
 * retries of many consumers hit by the same outage instead of having them retry in lockstep.
 */
export function computeRetryDelayMs(
  failedAttempts: number,
  options: RetryBackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2^exponent overflows to Infinity long after the ceiling is reached; Math.min absorbs it.
  const ceiling = Math.min(options.maxRetryBackoffMs, options.retryBackoffMs * 2 ** exponent);
  return Math.floor(random() * Math.max(0, ceiling));
}

/** Resolves after `ms`, or as soon as `signal` aborts (resolving to false then). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
