/**
 * Stable codes of routing store failures:
 * - INVALID_ARGUMENT: the caller passed something the store cannot take (names the field).
 * - CONFLICT: a configuration saved on a revision that is no longer the latest.
 * - UNAVAILABLE: the engine failed or did not answer; the same call can be made again.
 * - SCHEMA_TOO_NEW: the database was written by a newer build.
 */
export type RoutingStoreErrorCode = 'INVALID_ARGUMENT' | 'CONFLICT' | 'UNAVAILABLE' | 'SCHEMA_TOO_NEW';

/**
 * Error of a routing store, with a stable code and whether a retry can help. Bad input and
 * conflicts are never retriable: a retry would fail the same way (a conflict needs a new read).
 */
export class RoutingStoreError extends Error {
  constructor(
    readonly code: RoutingStoreErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options);
    this.name = 'RoutingStoreError';
    this.field = options?.field;
  }

  /** The argument at fault (a path such as `spec.scope.studyInstanceUid`), for INVALID_ARGUMENT. */
  readonly field: string | undefined;
}

/** Whether the error is a RoutingStoreError, optionally with the given code. */
export function isRoutingStoreError(error: unknown, code?: RoutingStoreErrorCode): error is RoutingStoreError {
  return error instanceof RoutingStoreError && (code === undefined || error.code === code);
}

/** The INVALID_ARGUMENT error of a field. */
export function invalidArgument(field: string, problem: string): RoutingStoreError {
  return new RoutingStoreError('INVALID_ARGUMENT', `${field}: ${problem}`, false, { field });
}

/** The CONFLICT error of a configuration saved on a stale revision. */
export function configConflict(tenantId: string, expected: number, latest: number | undefined): RoutingStoreError {
  const found = latest === undefined ? 'another save took the next revision first' : `the latest is ${latest}`;
  return new RoutingStoreError(
    'CONFLICT',
    `routing configuration of tenant ${tenantId}: expected revision ${expected}, ${found}`,
    false,
  );
}

/**
 * The UNAVAILABLE error wrapping what the engine threw (a RoutingStoreError passes as it is):
 * retriable, the cause kept.
 */
export function unavailable(operation: string, cause: unknown): RoutingStoreError {
  if (cause instanceof RoutingStoreError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RoutingStoreError('UNAVAILABLE', `routing store: ${operation} failed: ${reason}`, true, { cause });
}
