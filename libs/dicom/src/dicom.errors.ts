import { formatTag } from './tag';

/** Stable codes of failures to parse DICOM bytes. */
export type DicomParseErrorCode =
  /** The bytes end inside an element, item or the file meta group (the file was cut). */
  | 'TRUNCATED'
  /** An explicit VR field holds two bytes that are no VR of PS3.5 6.2. */
  | 'INVALID_VR'
  /** A length is impossible: undefined where not allowed, or past the end of its item/sequence. */
  | 'INVALID_LENGTH'
  /** A sequence holds something other than items and delimiters (PS3.5 7.5). */
  | 'INVALID_SEQUENCE'
  /** Neither a Part 10 file nor a data set that could be recognised. */
  | 'NOT_DICOM'
  /** The file meta information (PS3.10 7.1) is malformed. */
  | 'INVALID_META'
  /** The transfer syntax is unknown, or one whose data set is not binary DICOM (XML, MIME). */
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  /** A deflated data set (PS3.5 A.5) does not inflate. */
  | 'INVALID_DEFLATE';

/** Stable codes of attribute values that a consumer cannot accept. */
export type DicomAttributeErrorCode =
  /** A Type 1 attribute the archive needs is absent or empty. */
  | 'MISSING_ATTRIBUTE'
  /** A UID that breaks PS3.5 9.1 (digits and dots, no leading zero, at most 64 characters). */
  | 'INVALID_UID'
  /** Another value that breaks its VR (e.g. an AE title longer than 16 characters). */
  | 'INVALID_VALUE';

/**
 * The bytes are not a well-formed DICOM data set. Never retriable: the same bytes fail the same way.
 * `offset` is where in the given bytes it happened; `tag` the element being read, when known.
 */
export class DicomParseError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: DicomParseErrorCode,
    message: string,
    readonly offset: number,
    readonly tag?: number,
    options?: { cause?: unknown },
  ) {
    super(`${message} (at byte ${offset}${tag === undefined ? '' : `, tag ${formatTag(tag)}`})`, options);
    this.name = 'DicomParseError';
  }
}

/** A data set parsed but one of its attributes is missing or malformed; names the attribute. */
export class DicomAttributeError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: DicomAttributeErrorCode,
    message: string,
    readonly keyword: string,
    readonly tag?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DicomAttributeError';
  }
}

/** Whether the error is a DicomParseError, optionally with the given code. */
export function isDicomParseError(error: unknown, code?: DicomParseErrorCode): error is DicomParseError {
  return error instanceof DicomParseError && (code === undefined || error.code === code);
}

/** Whether the error is a DicomAttributeError, optionally with the given code. */
export function isDicomAttributeError(error: unknown, code?: DicomAttributeErrorCode): error is DicomAttributeError {
  return error instanceof DicomAttributeError && (code === undefined || error.code === code);
}

/** How a storage request that failed with a DICOM error is answered, over DIMSE and over STOW-RS. */
export interface StoreFailureStatus {
  /** C-STORE response Status (0000,0900). */
  readonly dimseStatus: number;
  /** STOW-RS Failure Reason (0008,1197) of the Failed SOP Sequence item. */
  readonly failureReason: number;
}

/**
 * Status of a storage request that failed with `error`, or undefined for errors that are not about
 * the DICOM content (I/O, timeouts: those map to 0xA700/0x0110 at the caller).
 * - Unparseable bytes: 0xC000 "Error: Cannot understand" (PS3.4 B.2.3; STOW-RS reuses the code as
 *   Failure Reason, PS3.18 10.5.3 and Table 10.5.3-1).
 * - A transfer syntax the archive cannot read: 0xC122 "Referenced Transfer Syntax not supported"
 *   for STOW-RS (PS3.18 Table 10.5.3-1); over DIMSE the syntax was negotiated, so 0xC000.
 * - A missing or malformed identifying attribute: 0xA900 "Error: Data Set does not match SOP Class"
 *   (PS3.4 B.2.3).
 */
export function storeFailureStatus(error: unknown): StoreFailureStatus | undefined {
  if (error instanceof DicomAttributeError) return { dimseStatus: 0xa900, failureReason: 0xa900 };
  if (error instanceof DicomParseError) {
    return error.code === 'UNSUPPORTED_TRANSFER_SYNTAX'
      ? { dimseStatus: 0xc000, failureReason: 0xc122 }
      : { dimseStatus: 0xc000, failureReason: 0xc000 };
  }
  return undefined;
}
