/** Stable codes of {@link DimseError}. */
export type DimseErrorCode =
  | 'CONNECT_FAILED'
  | 'ASSOCIATION_REJECTED'
  | 'ASSOCIATION_ABORTED'
  | 'ASSOCIATION_CLOSED'
  | 'NO_PRESENTATION_CONTEXT'
  | 'TIMEOUT'
  | 'PROTOCOL_ERROR'
  | 'INVALID_ARGUMENT'
  | 'CANCELLED'
  | 'RESOURCE_LIMIT';

/** Error of the DICOM upper layer or message layer, with a stable code and whether a retry can help. */
export class DimseError extends Error {
  constructor(
    readonly code: DimseErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DimseError';
  }
}

/**
 * A PDU that cannot be decoded. `reason` is the A-ABORT reason the upper layer answers with
 * (PS3.8 Table 9-26: 1 unrecognized PDU, 2 unexpected PDU, 6 invalid PDU parameter value).
 */
export class PduDecodeError extends Error {
  constructor(
    readonly reason: number,
    message: string,
  ) {
    super(message);
    this.name = 'PduDecodeError';
  }
}

/** The peer rejected our association request (A-ASSOCIATE-RJ, PS3.8 Table 9-21). */
export class AssociationRejectedError extends DimseError {
  constructor(
    /** 1 permanent, 2 transient. */
    readonly result: number,
    /** 1 service user, 2 ACSE provider, 3 presentation provider. */
    readonly source: number,
    /** Reason, per source. */
    readonly reason: number,
  ) {
    super(
      'ASSOCIATION_REJECTED',
      `association rejected (result ${result}, source ${source}, reason ${reason})`,
      result === 2,
    );
    this.name = 'AssociationRejectedError';
  }
}
