import type { Destination } from '../destination';
import type { RuleModification } from '../rule-modification';

/** One stored instance to deliver. */
export interface ForwardInstance {
  /** SOP Class UID (0008,0016): the abstract syntax it is sent under. */
  readonly sopClassUid: string;
  /** SOP Instance UID (0008,0018): how the destination's answer names it. */
  readonly sopInstanceUid: string;
  /** Transfer syntax of the stored file (its (0002,0010)). */
  readonly transferSyntaxUid: string;
  /** Reads the stored Part 10 file; called once per send, when the instance's turn comes. */
  open(): Promise<Buffer>;
}

/** What a session needs to know in advance of the instances it will send: what to negotiate. */
export interface InstanceKind {
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
}

/** A warning the destination gave with its confirmation. */
export interface SendWarning {
  /** Stable code, e.g. COERCION_OF_DATA_ELEMENTS, DUPLICATE_SOP_INSTANCE. */
  readonly code: string;
  /** The destination's text (Error Comment) or the meaning of its status. */
  readonly message: string;
  /** C-STORE-RSP Status, or STOW-RS Warning Reason (0008,1196). */
  readonly remoteStatus?: number;
}

/** Why an instance was refused for good. */
export type RejectionCode =
  /** The peer supports neither the SOP class nor a transfer syntax the instance can be sent in. */
  | 'NO_ACCEPTED_CONTEXT'
  /** Refused: SOP class not supported (0122, PS3.7 C.5.x). */
  | 'SOP_CLASS_NOT_SUPPORTED'
  /** Data set does not match SOP class (A9xx, PS3.4 B.2.3). */
  | 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS'
  /** Cannot understand (Cxxx, PS3.4 B.2.3), Referenced Transfer Syntax not supported (C122) included. */
  | 'CANNOT_UNDERSTAND'
  /** Another failure status (PS3.7 C.5) that names no transient cause. */
  | 'REFUSED'
  /** HTTP 409 without a Failed SOP Sequence entry for the instance: the reason is in the message. */
  | 'CONFLICT'
  /** HTTP 400 and the other 4xx answers about the request itself. */
  | 'BAD_REQUEST'
  /** HTTP 413: the instance is larger than the destination takes. */
  | 'PAYLOAD_TOO_LARGE'
  /** HTTP 415: the destination does not take application/dicom in multipart/related. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** The rule's modification cannot be made to this instance (see ModificationError). */
  | 'MODIFICATION_FAILED'
  /** The stored file is not DICOM that can be read or sent. */
  | 'UNREADABLE_INSTANCE';

/**
 * The outcome of one send. A transient failure is not an outcome: send() rejects with a
 * ForwardError (retriable: true) instead.
 */
export type SendOutcome =
  | {
      readonly kind: 'confirmed';
      /** The transfer syntax it went in: the stored one, or the one it was converted to. */
      readonly transferSyntaxUid: string;
      readonly warning?: SendWarning;
    }
  | {
      /** The destination refused this instance for good (or it cannot be sent to it): do not retry it. */
      readonly kind: 'rejected';
      readonly code: RejectionCode;
      /** The destination's text (Error Comment, response body) or ours, naming the destination. */
      readonly message: string;
      /** C-STORE-RSP Status or STOW-RS Failure Reason (0008,1197), when the destination gave one. */
      readonly remoteStatus?: number;
      /** HTTP status of a STOW-RS answer. */
      readonly httpStatus?: number;
    };

/**
 * A connection to one destination (one association, one HTTP client), reused for many instances.
 * Sends go one at a time, in call order; open several sessions for concurrency.
 */
export interface ForwardSession {
  /**
   * Delivers one instance, with the rule's changes applied to the copy sent. Resolves with the
   * destination's verdict; rejects with a ForwardError when it could not be had (retry later).
   */
  send(instance: ForwardInstance, modify?: RuleModification): Promise<SendOutcome>;
  /** Ends the session (A-RELEASE; in-flight HTTP requests aborted). Idempotent. */
  close(): Promise<void>;
}

/** Delivers stored instances to destinations of one kind (C-STORE SCU, STOW-RS client). */
export interface ForwardSender {
  /** The kind of destination it serves. */
  readonly kind: Destination['kind'];
  /**
   * Opens a session. `instancesHint` lists the SOP classes and transfer syntaxes to come, for the
   * association to negotiate up front; an instance outside it is still sent (after a renegotiation).
   * Rejects with a retriable ForwardError when the destination cannot be reached.
   */
  open(destination: Destination, instancesHint: readonly InstanceKind[]): Promise<ForwardSession>;
}

/** Injection token of the ForwardSender of each destination kind (a Map keyed by kind). */
export const FORWARD_SENDERS = Symbol('FORWARD_SENDERS');
