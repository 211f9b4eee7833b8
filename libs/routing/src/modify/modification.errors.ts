/** Stable codes of {@link ModificationError}. */
export type ModificationErrorCode =
  /** The modification itself is invalid: unknown keyword, protected attribute, a value its VR cannot hold. */
  | 'INVALID_MODIFICATION'
  /** A value has a character that the data set's Specific Character Set (0008,0005) cannot encode. */
  | 'UNENCODABLE_VALUE'
  /** The encoded value does not fit the 16-bit length of its VR (PS3.5 7.1.2). */
  | 'VALUE_TOO_LONG'
  /** The stored file is not a DICOM data set that can be parsed. */
  | 'UNREADABLE_INSTANCE'
  /** The data set is in a transfer syntax whose bytes are not binary DICOM (XML, MIME, unknown UID). */
  | 'UNSUPPORTED_TRANSFER_SYNTAX';

/**
 * The changes of a rule cannot be made to this instance. Never retriable: the same file and the
 * same changes fail the same way. `attribute` names the attribute at fault, when there is one.
 */
export class ModificationError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: ModificationErrorCode,
    message: string,
    readonly attribute?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModificationError';
  }
}

/** Whether the error is a ModificationError, optionally with the given code. */
export function isModificationError(error: unknown, code?: ModificationErrorCode): error is ModificationError {
  return error instanceof ModificationError && (code === undefined || error.code === code);
}
