/** Why an instance was not stored, with the answers of both protocols. */
export type StoreFailureCode =
  /** The bytes are not a well-formed data set (truncated, invalid VR or length). */
  | 'CANNOT_UNDERSTAND'
  /** The data set lacks an identifying UID, or disagrees with the request (SOP Class/Instance). */
  | 'DATASET_MISMATCH'
  /** The SOP Instance UID is stored with other bytes and the tenant's policy is `reject`. */
  | 'DUPLICATE_REJECTED'
  /** No space left in the hot tier. */
  | 'OUT_OF_RESOURCES'
  /** The blob store or the event bus failed; the sender may retry. */
  | 'PROCESSING_FAILURE';

// C-STORE response statuses (PS3.4 B.2.3, PS3.7 C.4.2) and STOW-RS Failure Reasons
// (PS3.18 10.5.3, which reuses the same codes).
const ANSWERS: Record<StoreFailureCode, { dimseStatus: number; failureReason: number; retriable: boolean }> = {
  CANNOT_UNDERSTAND: { dimseStatus: 0xc000, failureReason: 0xc000, retriable: false },
  DATASET_MISMATCH: { dimseStatus: 0xa900, failureReason: 0xa900, retriable: false },
  DUPLICATE_REJECTED: { dimseStatus: 0x0111, failureReason: 0x0111, retriable: false },
  OUT_OF_RESOURCES: { dimseStatus: 0xa700, failureReason: 0xa700, retriable: true },
  PROCESSING_FAILURE: { dimseStatus: 0x0110, failureReason: 0x0110, retriable: true },
};

/** An instance refused or not stored; nothing of it is visible. The message names what is wrong. */
export class StoreInstanceError extends Error {
  readonly dimseStatus: number;
  readonly failureReason: number;
  readonly retriable: boolean;

  constructor(
    readonly code: StoreFailureCode,
    message: string,
    options?: { cause?: unknown; failureReason?: number },
  ) {
    super(message, options);
    this.name = 'StoreInstanceError';
    const answer = ANSWERS[code];
    this.dimseStatus = answer.dimseStatus;
    this.failureReason = options?.failureReason ?? answer.failureReason;
    this.retriable = answer.retriable;
  }
}
