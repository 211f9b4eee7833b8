/**
 * DIMSE status codes (PS3.7 Annex C) and the service-specific ones of the storage and
 * query/retrieve services (PS3.4 B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4).
 */
export const DimseStatus = {
  /** 0000: success. */
  Success: 0x0000,
  /** 0001: warning, requested optional attributes are not supported (PS3.7 C.4; N-GET). */
  WarningOptionalAttributesNotSupported: 0x0001,
  /** 0107: warning, attribute list error (PS3.7 C.4). */
  WarningAttributeListError: 0x0107,
  /** 0110: failure, processing failure (PS3.7 C.5). */
  ProcessingFailure: 0x0110,
  /** 0111: failure, duplicate SOP instance (PS3.7 C.5). */
  DuplicateSopInstance: 0x0111,
  /** 0112: failure, no such SOP instance. */
  NoSuchSopInstance: 0x0112,
  /** 0117: failure, invalid object instance. */
  InvalidObjectInstance: 0x0117,
  /** 0118: failure, no such SOP class. */
  NoSuchSopClass: 0x0118,
  /** 0122: failure, refused: SOP class not supported (PS3.7 C.5; PS3.4 B.2.3). */
  SopClassNotSupported: 0x0122,
  /** 0124: failure, refused: not authorized. */
  NotAuthorized: 0x0124,
  /** 0210: failure, duplicate invocation (message id already in use). */
  DuplicateInvocation: 0x0210,
  /** 0211: failure, unrecognized operation. */
  UnrecognizedOperation: 0x0211,
  /** 0212: failure, mistyped argument. */
  MistypedArgument: 0x0212,
  /** 0213: failure, resource limitation. */
  ResourceLimitation: 0x0213,
  /** A700: C-STORE/C-FIND failure, refused: out of resources (PS3.4 B.2.3, C.4.1.1.4). */
  OutOfResources: 0xa700,
  /** A701: C-MOVE/C-GET failure, out of resources: unable to calculate number of matches. */
  OutOfResourcesNumberOfMatches: 0xa701,
  /** A702: C-MOVE/C-GET failure, out of resources: unable to perform sub-operations. */
  OutOfResourcesSubOperations: 0xa702,
  /** A801: C-MOVE failure, move destination unknown (PS3.4 C.4.2.1.5). */
  MoveDestinationUnknown: 0xa801,
  /** A900: failure, data set does not match SOP class (PS3.4 B.2.3) / identifier does not match. */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** A900: C-FIND/C-MOVE/C-GET failure, identifier does not match SOP class (PS3.4 C.4.1.1.4). */
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** C000: failure, cannot understand (PS3.4 B.2.3; Cxxx is the whole range). */
  CannotUnderstand: 0xc000,
  /** C000: C-FIND/C-MOVE/C-GET failure, unable to process (PS3.4 C.4.1.1.4; C000-CFFF): a key we cannot use. */
  UnableToProcess: 0xc000,
  /** C001: unable to process, because of a failure on our side (index, storage); the details are in our logs. */
  UnableToProcessInternalError: 0xc001,
  /** B000: C-STORE warning, coercion of data elements; C-MOVE/C-GET: sub-operations complete, one or more failures. */
  CoercionOfDataElements: 0xb000,
  /** B000: C-MOVE/C-GET warning, sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5). */
  SubOperationsCompleteWithFailures: 0xb000,
  /** B006: C-STORE warning, elements discarded. */
  ElementsDiscarded: 0xb006,
  /** B007: C-STORE warning, data set does not match SOP class. */
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  /** FE00: cancel, the operation was terminated by C-CANCEL (PS3.7 C.3). */
  Cancel: 0xfe00,
  /** FF00: pending, matches/sub-operations are continuing (PS3.7 C.2). */
  Pending: 0xff00,
  /** FF01: pending, with warning that one or more optional keys were not supported (PS3.4 C.4.1.1.4). */
  PendingWarning: 0xff01,
} as const;

/** The category of a status code (PS3.7 Annex C). */
export type DimseStatusCategory = 'success' | 'warning' | 'failure' | 'cancel' | 'pending';

/**
 * Category of any status code, including codes we do not name: Axxx and Cxxx are failures, Bxxx
 * warnings (PS3.4 B.2.3), and 01xx/02xx are failures except the warnings 0001, 0107 and 0116
 * (PS3.7 C.4).
 */
export function statusCategory(status: number): DimseStatusCategory {
  if (status === 0x0000) return 'success';
  if (status === 0xfe00) return 'cancel';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116) return 'warning';
  if ((status & 0xf000) === 0xb000) return 'warning';
  return 'failure';
}

/** Whether more responses follow for the same request (pending, PS3.7 C.2). */
export function isPending(status: number): boolean {
  return statusCategory(status) === 'pending';
}

/** Status as four upper-case hex digits, as DICOM tools print it ("A700"). */
export function formatStatus(status: number): string {
  return status.toString(16).toUpperCase().padStart(4, '0');
}
