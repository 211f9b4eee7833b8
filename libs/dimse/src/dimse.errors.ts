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

/**
 * A failure a handler answers with a DIMSE status of its own (e.g. A900 "identifier does not
 * match SOP class", A801 "move destination unknown", PS3.4 C.4.1.1.4, C.4.2.1.5): the response
 * carries the status, the Error Comment (0000,0902) and, when given, the Offending Element
 * (0000,0901). Not retriable: the same request fails the same way.
 */
export class DimseStatusError extends Error {
  /** Error Comment (0000,0902): the message, cut to 64 characters (VR LO). */
  readonly errorComment: string;
  /** Offending Element (0000,0901): tags of the elements at fault. */
  readonly offendingElement: number[] | undefined;
  readonly retriable = false;

  constructor(
    /** The failure status (Axxx, Cxxx, 01xx...). */
    readonly status: number,
    message: string,
    options: { offendingElement?: number[]; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DimseStatusError';
    this.errorComment = message.slice(0, 64);
    this.offendingElement = options.offendingElement;
  }
}
