/**
 * Injection token of the audit hook of the DIMSE Query/Retrieve SCP (a {@link QueryRetrieveAudit}).
 * The SCP reports each operation to it when it is there; DimseQueryRetrieveModule binds it to the
 * audit trail (DimseQueryRetrieveAuditTrail: "Query" 110112 for C-FIND, "DICOM Instances
 * Transferred" 110104 for C-GET and C-MOVE, PS3.15 A.5.3).
 */
export const QUERY_RETRIEVE_AUDIT = Symbol('QUERY_RETRIEVE_AUDIT');

/** A C-FIND identifier as received (the audit's ParticipantObjectQuery). */
export interface AuditedIdentifier {
  /** The identifier's bytes, as the requestor encoded them. */
  readonly bytes: Buffer;
  /** The transfer syntax of the presentation context it came on. */
  readonly transferSyntaxUid: string;
  /** Its non-empty keys, by keyword (or tag when not in the dictionary), values joined by "\". */
  readonly keys: Readonly<Record<string, string>>;
}

/** What became of one instance a C-GET or C-MOVE selected. */
export interface InstanceTransfer {
  readonly studyInstanceUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly patientId?: string;
  readonly patientName?: string;
  /** Its C-STORE sub-operation: completed or warning (sent), failed, or never attempted (cancel). */
  readonly outcome: 'completed' | 'warning' | 'failed' | 'not-attempted';
  /** The transfer syntax it was sent in, when it was sent. */
  readonly transferSyntaxUid?: string;
  /** Why it failed. */
  readonly reason?: string;
}

/** One C-FIND, C-GET or C-MOVE, as the SCP saw it. */
export interface QueryRetrieveActivity {
  readonly service: 'C-FIND' | 'C-GET' | 'C-MOVE';
  readonly tenantId: string;
  /** Shared by the records of this one request. */
  readonly correlationId: string;
  /** The requestor. */
  readonly callingAeTitle: string;
  /** Our AE title it called. */
  readonly calledAeTitle: string;
  readonly remoteAddress: string;
  /** The information model (Affected SOP Class UID). */
  readonly sopClassUid: string;
  /** Query/Retrieve Level, when the identifier gave a valid one. */
  readonly level?: string;
  /** C-FIND: matches sent; C-GET/C-MOVE: instances selected for sub-operations. */
  readonly count: number;
  /** Studies matched or selected. */
  readonly studyInstanceUids: readonly string[];
  /** C-MOVE: the Move Destination. */
  readonly moveDestination?: string;
  /**
   * C-FIND: how the query ended. C-GET/C-MOVE: failure when the request was refused (nothing
   * selected), else how the sub-operations ended: success when all were sent, cancelled after a
   * C-CANCEL, failure when some could not be sent (see `transfers`).
   */
  readonly outcome: 'success' | 'cancelled' | 'failure';
  /** The failure, for the audit's outcome description. */
  readonly failure?: string;
  /** C-FIND: the identifier. */
  readonly identifier?: AuditedIdentifier;
  /** C-GET/C-MOVE, once the sub-operations are over: each instance selected, in order. */
  readonly transfers?: readonly InstanceTransfer[];
}

/** Receives the Query/Retrieve activity, for the audit trail. */
export interface QueryRetrieveAudit {
  /** Records one activity; must not throw nor block (queue the publication). */
  record(activity: QueryRetrieveActivity): void;
}
