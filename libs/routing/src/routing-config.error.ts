/** Stable code of a refused routing configuration (destinations, rules or a routing file). */
export type RoutingConfigErrorCode = 'INVALID_ROUTING_CONFIG';

/**
 * Routing configuration refused: each of `problems` names where the wrong value is and what is
 * wrong with it, e.g. `destinations[1].port: expected an integer from 1 to 65535 (got 70000)`.
 * Never retriable: the same configuration fails the same way.
 */
export class RoutingConfigError extends Error {
  readonly code: RoutingConfigErrorCode = 'INVALID_ROUTING_CONFIG';
  readonly retriable = false;

  constructor(
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid routing configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, options);
    this.name = 'RoutingConfigError';
  }
}

/** The outcome of a parse: the validated value, or the error listing every problem found. */
export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: RoutingConfigError };
