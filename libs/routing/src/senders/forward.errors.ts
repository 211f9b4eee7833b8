/** Stable codes of {@link ForwardError}. */
export type ForwardErrorCode =
  /** No transport connection to the destination: refused, unreachable, DNS failure, TLS handshake failed. */
  | 'CONNECTION_FAILED'
  /** The DICOM peer rejected the association (A-ASSOCIATE-RJ, PS3.8 9.3.4): often its AE title configuration. */
  | 'ASSOCIATION_REJECTED'
  /** The association or the HTTP exchange broke off before the answer (A-ABORT, connection lost). */
  | 'CONNECTION_LOST'
  /** No answer in time: connection, association negotiation, C-STORE-RSP or HTTP response. */
  | 'TIMEOUT'
  /** The destination is out of resources (C-STORE A7xx, PS3.4 B.2.3; STOW-RS Failure Reason A7xx; HTTP 507). */
  | 'OUT_OF_RESOURCES'
  /** The destination failed to process the instance, for reasons of its own (status 0110, HTTP 5xx). */
  | 'PROCESSING_FAILURE'
  /** The destination is busy and asks to come back later (status 0213, HTTP 429 and 503). */
  | 'BUSY'
  /** The destination refuses our credentials or our AE title (status 0124, HTTP 401, 403). */
  | 'NOT_AUTHORIZED'
  /** The configured address is wrong: HTTP 404, 405, or a redirect (which is not followed with a body). */
  | 'WRONG_ADDRESS'
  /** The destination answered something the protocol does not allow (a malformed response, a cancel). */
  | 'PROTOCOL_ERROR'
  /** The stored instance could not be read (its `open()` failed). */
  | 'SOURCE_UNAVAILABLE'
  /** The sender was given a destination of the other kind, or the session was used after close(). */
  | 'MISUSE';

/**
 * A send that failed for a reason that is not this instance's fault: the destination is down, busy
 * or misconfigured, the network broke. `retriable` says whether the job may be tried again; every
 * failure about the destination is, since it can come back or be fixed (a dead-letter after the
 * job's last attempt keeps this error). Not retriable: only misuse of the API and a stored copy
 * that its store says is gone for good.
 */
export class ForwardError extends Error {
  constructor(
    readonly code: ForwardErrorCode,
    message: string,
    readonly retriable: boolean,
    readonly details: {
      /** The DICOM status the destination answered (C-STORE-RSP Status, STOW-RS Failure Reason). */
      readonly remoteStatus?: number;
      /** The HTTP status of a STOW-RS answer. */
      readonly httpStatus?: number;
      /** How long the destination asked us to wait (HTTP Retry-After), in milliseconds. */
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ForwardError';
  }

  /** The DICOM status the destination answered, if any. */
  get remoteStatus(): number | undefined {
    return this.details.remoteStatus;
  }

  /** The HTTP status the destination answered, if any. */
  get httpStatus(): number | undefined {
    return this.details.httpStatus;
  }
}

/** Whether the error is a ForwardError, optionally with the given code. */
export function isForwardError(error: unknown, code?: ForwardErrorCode): error is ForwardError {
  return error instanceof ForwardError && (code === undefined || error.code === code);
}
