/**
 * A record could not be appended (AuditStore.append): `seq-taken`, its seq is already in the
 * tenant's chain; `not-next`, its seq is beyond the head's next; `event-exists`, its eventId is
 * already in the chain. Not retriable as such: the caller re-reads the head and chains again.
 */
export class AuditChainConflictError extends Error {
  constructor(
    readonly tenantId: string,
    readonly seq: number,
    readonly reason: 'seq-taken' | 'event-exists' | 'not-next',
  ) {
    super(`audit record ${tenantId}#${seq} not appended: ${reason}`);
    this.name = 'AuditChainConflictError';
  }
}

/** The store's engine cannot be reached or answered with an error (retriable). */
export class AuditStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditStoreUnavailableError';
  }
}
