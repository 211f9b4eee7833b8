import type { Readable } from 'node:stream';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { DicomDataset } from '@pacs/dicom';
import type { DimseCommand } from './command-set';
import type { ExtendedNegotiation, PresentationContextProposal, RoleSelection, UserIdentity } from './pdu.types';

/** A presentation context accepted during negotiation. */
export interface AcceptedPresentationContext {
  /** Presentation context id (odd, 1-255). */
  readonly id: number;
  /** SOP class UID. */
  readonly abstractSyntax: string;
  /** The one transfer syntax of data sets on this context. */
  readonly transferSyntax: string;
}

/** What the association acceptor learns from an A-ASSOCIATE-RQ, given to the accept hook. */
export interface AssociationRequest {
  /** Calling AE title (the peer's). */
  readonly callingAeTitle: string;
  /** Called AE title (ours, as the peer addressed us). */
  readonly calledAeTitle: string;
  /** Peer IP address. */
  readonly remoteAddress: string;
  /** Peer TCP port. */
  readonly remotePort: number;
  /** Proposed presentation contexts. */
  readonly presentationContexts: readonly PresentationContextProposal[];
  /** Largest P-DATA-TF PDU the peer accepts; 0 means no limit. */
  readonly maxPduLength: number;
  /** User identity, if the peer sent one (PS3.7 D.3.3.7). */
  readonly userIdentity?: UserIdentity;
  /** Peer's Implementation Class UID. */
  readonly implementationClassUid: string;
  /** Peer's Implementation Version Name, if sent. */
  readonly implementationVersionName?: string;
  /** SCP/SCU role selection items proposed (PS3.7 D.3.3.4). */
  readonly roleSelections: readonly RoleSelection[];
  /** SOP class extended negotiation items, parsed and not answered (PS3.7 D.3.3.5). */
  readonly extendedNegotiations: readonly ExtendedNegotiation[];
  /** The peer's certificate on a TLS connection with requestCert (PS3.15 B.1). */
  readonly tlsPeerCertificate?: PeerCertificate;
  /** Whether that certificate chains to a trusted CA. */
  readonly tlsAuthorized?: boolean;
}

/** Rejection of an association (A-ASSOCIATE-RJ fields, PS3.8 Table 9-21). */
export interface AssociationRejection {
  /** 1 permanent, 2 transient. */
  readonly result: 1 | 2;
  /** 1 service user, 2 service provider (ACSE), 3 service provider (presentation). */
  readonly source: 1 | 2 | 3;
  /** Reason, per source (see RejectReason). */
  readonly reason: number;
}

/** Answer for one proposed presentation context: accept with a transfer syntax, or reject with a reason. */
export type PresentationContextDecision = { readonly transferSyntax: string } | { readonly reject: number };

/** The accept hook's answer to an association request. */
export type AssociationDecision =
  | { readonly reject: AssociationRejection }
  | {
      readonly accept: {
        /** Per proposed context id; a context left out is rejected as abstract syntax not supported (3). */
        readonly contexts: ReadonlyMap<number, PresentationContextDecision>;
        /** Roles granted per SOP class; by default each proposed role selection is granted as proposed. */
        readonly roleSelections?: ReadonlyMap<string, { readonly scuRole: boolean; readonly scpRole: boolean }>;
        /** Server response to a user identity that asked for one (PS3.7 D.3.3.7.2). */
        readonly userIdentityServerResponse?: Buffer;
      };
    };

/** Facts about an association, for hooks, logs and the audit trail. */
export interface AssociationInfo {
  /** Process-unique id, for logs. */
  readonly id: string;
  /** Whether we accepted it (server) or requested it (client). */
  readonly role: 'acceptor' | 'requestor';
  /** Calling AE title (the requestor's); empty before the request arrived. */
  readonly callingAeTitle: string;
  /** Called AE title (the acceptor's); empty before the request arrived. */
  readonly calledAeTitle: string;
  /** Peer IP address. */
  readonly remoteAddress: string;
  /** Peer TCP port. */
  readonly remotePort: number;
  /** The largest P-DATA-TF PDU we accept (we announced it). */
  readonly maxPduLength: number;
  /** The largest P-DATA-TF PDU the peer accepts; 0 means no limit. */
  readonly peerMaxPduLength: number;
  /** Peer's Implementation Class UID. */
  readonly peerImplementationClassUid: string;
  /** Peer's Implementation Version Name, if sent. */
  readonly peerImplementationVersionName?: string;
  /** User identity the requestor sent, if any. */
  readonly userIdentity?: UserIdentity;
  /** Accepted presentation contexts by id. */
  readonly presentationContexts: ReadonlyMap<number, AcceptedPresentationContext>;
  /** Roles agreed by SCP/SCU role selection. */
  readonly roleSelections: readonly RoleSelection[];
  /** The peer's TLS certificate, if any. */
  readonly tlsPeerCertificate?: PeerCertificate;
  /** When the transport connection was made. */
  readonly connectedAt: Date;
}

/** Counters of one association. */
export interface AssociationStats {
  /** DIMSE requests received (C-CANCEL not counted). */
  requestsReceived: number;
  /** Responses we sent, pending ones included. */
  responsesSent: number;
  /** DIMSE requests we sent. */
  requestsSent: number;
  /** Responses received, pending ones included. */
  responsesReceived: number;
  /** Data set bytes received in P-DATA-TF fragments. */
  dataSetBytesReceived: number;
  /** Command and data set bytes sent in P-DATA-TF fragments. */
  messageBytesSent: number;
}

/** How an association ended. */
export type AssociationEnd =
  | { readonly kind: 'released'; readonly by: 'local' | 'peer' }
  | { readonly kind: 'rejected'; readonly by: 'local' | 'peer'; readonly rejection: AssociationRejection }
  | {
      readonly kind: 'aborted';
      /** Who aborted: us, the peer (A-ABORT), or the transport (connection lost without A-ABORT). */
      readonly by: 'local' | 'peer' | 'transport';
      /** A-ABORT source (PS3.8 Table 9-26), when an A-ABORT PDU was sent or received. */
      readonly source?: number;
      /** A-ABORT reason (PS3.8 Table 9-26). */
      readonly reason?: number;
      /** Why, for logs. */
      readonly message: string;
    };

/** The outcome of handling a request, from which the response is built. */
export interface DimseResult {
  /** Status (see DimseStatus). */
  readonly status: number;
  /** Error Comment (0000,0902), at most 64 characters. */
  readonly errorComment?: string;
  /** Offending Element (0000,0901). */
  readonly offendingElement?: number[];
  /** Error ID (0000,0903). */
  readonly errorId?: number;
  /** Other response command fields (e.g. sub-operation counts of C-MOVE/C-GET). */
  readonly command?: Partial<DimseCommand>;
  /** Data set of the response (e.g. a C-FIND identifier), in the context's transfer syntax. */
  readonly dataset?: Buffer;
}

/** A response received for a request we sent. */
export interface DimseResponse {
  /** The response's status. */
  readonly status: number;
  /** The whole response command set. */
  readonly command: DimseCommand;
  /** Its data set, if any (e.g. a C-FIND identifier). */
  readonly dataset?: Buffer;
}

/** A request being handled, as handlers see it. */
export interface DimseRequestContext {
  /** The association the request came on; it can also send requests (C-GET sub-operations). */
  readonly association: DimseAssociation;
  /** Presentation context of the request. */
  readonly presentationContext: AcceptedPresentationContext;
  /** Message ID of the request. */
  readonly messageId: number;
  /** Aborted on C-CANCEL (reason: DimseError CANCELLED) or when the association ends. */
  readonly signal: AbortSignal;
  /** Sends a pending (FF00/FF01) response before the final one (C-FIND/C-MOVE/C-GET). */
  sendPending(result: DimseResult): Promise<void>;
}

/** A handler's result: a full result or only a status. */
export type DimseHandlerResult = DimseResult | number;

/** One C-FIND match, sent as a pending response (PS3.4 C.4.1.1.4, PS3.7 9.1.2.1.6). */
export interface CFindMatch {
  /** The response identifier, encoded in the transfer syntax of the request's presentation context. */
  readonly identifier: Buffer;
  /** One or more optional keys were not supported: the response says FF01 instead of FF00. */
  readonly optionalKeysNotSupported?: boolean;
}

/** One instance that a C-GET or C-MOVE sends as a C-STORE sub-operation (PS3.4 C.4.2.2, C.4.3.2). */
export interface RetrieveInstance {
  /** SOP Class UID: the abstract syntax of the sub-operation. */
  readonly sopClassUid: string;
  /** SOP Instance UID (also listed in Failed SOP Instance UID List (0008,0058) if it fails). */
  readonly sopInstanceUid: string;
  /**
   * Transfer syntax the data set is stored in. It is sent in this syntax on a presentation context
   * that accepted it; otherwise in the first of `convertibleTo` that a context accepted; otherwise
   * the sub-operation fails.
   */
  readonly transferSyntaxUid: string;
  /**
   * Other transfer syntaxes `open` can give the data set in (e.g. Explicit VR Little Endian, by
   * decoding compressed pixel data), in order of preference; none when absent.
   */
  readonly convertibleTo?: readonly string[];
  /**
   * Opens the data set bytes (no File Meta Information), called when the instance's turn comes: as
   * stored (a stream) when `transferSyntaxUid` is undefined or the stored one, else converted to
   * that syntax, one of `convertibleTo`.
   */
  open(transferSyntaxUid?: string): Promise<Readable | Buffer>;
}

/** What became of one instance of a C-GET or C-MOVE. */
export interface SubOperationResult {
  readonly instance: RetrieveInstance;
  /** Success, warning (PS3.7 C: Bxxx, e.g. coercion) or failure of its C-STORE sub-operation. */
  readonly outcome: 'completed' | 'warning' | 'failed';
  /** The transfer syntax it was sent in, when it was sent. */
  readonly transferSyntaxUid?: string;
  /** Why it failed. */
  readonly reason?: string;
}

/** How the sub-operations of a C-GET or C-MOVE went, once the final response is known. */
export interface RetrieveReport {
  /** The status of the final response (0000, B000, A702, FE00...). */
  readonly status: number;
  /** Each instance whose turn came, in order. */
  readonly results: readonly SubOperationResult[];
  /** Instances never attempted: after a C-CANCEL-RQ, or when the association ended. */
  readonly remaining: number;
}

/**
 * What a C-GET retrieves: every instance, known before the first sub-operation so that the
 * responses can count the remaining ones (PS3.7 9.3.3.2). The list holds references only; each
 * data set is streamed when it is sent.
 */
export interface RetrievePlan {
  /** The instances, in the order they are sent. */
  readonly instances: readonly RetrieveInstance[];
  /**
   * Called once with the report when the sub-operations are over (or could not start), before the
   * final response goes out: e.g. for the audit trail. What it throws is logged and ignored.
   */
  readonly onFinished?: (report: RetrieveReport) => void;
}

/** The Move Destination of a C-MOVE (0000,0600), resolved to a network address. */
export interface MoveDestination {
  /** Its AE title, the Called AE Title of the sub-association. */
  readonly aeTitle: string;
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Connect with TLS (PS3.15 B.1) with these options; plain TCP when absent. */
  readonly tls?: ConnectionOptions;
}

/** What a C-MOVE retrieves, and where to (PS3.4 C.4.2.2). */
export interface MovePlan extends RetrievePlan {
  /** The destination the sub-operations go to, on an association of their own. */
  readonly destination: MoveDestination;
}

/** Handlers of incoming DIMSE requests, on either side of an association. */
export interface DimseRequestHandlers {
  /** C-ECHO (PS3.7 9.1.5); without it C-ECHO answers success. */
  onCEcho?(ctx: DimseRequestContext): Promise<DimseHandlerResult> | DimseHandlerResult;
  /**
   * C-STORE (PS3.7 9.1.1): `dataset` streams the data set bytes exactly as received, in the
   * context's transfer syntax, as they arrive. The handler consumes it and resolves when done;
   * the C-STORE-RSP is sent then. The stream errors if the association is aborted mid-transfer.
   * Whatever the handler leaves unread is discarded.
   */
  onCStore?(ctx: DimseRequestContext, command: DimseCommand, dataset: Readable): Promise<DimseHandlerResult>;
  /**
   * C-FIND (PS3.7 9.1.2, PS3.4 C.4.1): `identifier` is the request identifier, parsed. Each match
   * the iterable yields goes out at once as a pending response (FF00, or FF01); when it ends, the
   * final response says success (0000). A C-CANCEL-RQ (PS3.7 9.3.2.3) stops the iteration
   * (`ctx.signal` aborts, the iterator is returned) and the final response says cancel (FE00).
   * Throwing a DimseStatusError answers its status and Error Comment (A700, A900, C000-CFFF);
   * any other error answers C001. An identifier that cannot be parsed answers A900 before this is called.
   */
  onCFind?(ctx: DimseRequestContext, command: DimseCommand, identifier: DicomDataset): AsyncIterable<CFindMatch>;
  /**
   * C-GET (PS3.7 9.1.3, PS3.4 C.4.3): the handler answers what to send; the association then sends
   * each instance as a C-STORE sub-operation over this same association, on a context of the
   * instance's SOP class and transfer syntax for which the requestor took the SCP role
   * (PS3.7 D.3.3.4), in its stored syntax or else one it converts to (RetrieveInstance.convertibleTo),
   * with a pending response after each, and the final status: 0000, B000 (some
   * failed or had warnings, with their Failed SOP Instance UID List (0008,0058)), A702 (none
   * could be sent) or FE00 after C-CANCEL. Throw DimseStatusError to refuse the request.
   */
  onCGet?(ctx: DimseRequestContext, command: DimseCommand, identifier: DicomDataset): Promise<RetrievePlan>;
  /**
   * C-MOVE (PS3.7 9.1.4, PS3.4 C.4.2): as C-GET, but the handler also resolves the Move Destination
   * (an unknown one: throw DimseStatusError A801), and the sub-operations go over a new association
   * to it, which proposes each SOP class with each stored transfer syntax (and those the instances
   * convert to, as a fallback), with our Called AE Title as Calling AE Title. A destination that cannot
   * be associated with fails every sub-operation (A702).
   */
  onCMove?(ctx: DimseRequestContext, command: DimseCommand, identifier: DicomDataset): Promise<MovePlan>;
  /**
   * Any other request (C-FIND, C-MOVE, C-GET without their hooks, N-*), and C-ECHO/C-STORE when
   * their hooks are absent. Without it, such requests answer 0211 (unrecognized operation).
   */
  onRequest?(
    ctx: DimseRequestContext,
    command: DimseCommand,
    dataset: Readable | undefined,
  ): Promise<DimseHandlerResult>;
}

/** Options of a request sent with {@link DimseAssociation.request}. */
export interface DimseRequestOptions {
  /** The presentation context to use; else the first accepted one for `abstractSyntax`. */
  readonly contextId?: number;
  /** SOP class, to choose the context and as default Affected SOP Class UID. */
  readonly abstractSyntax?: string;
  /** Required transfer syntax of the context (when the data set is already encoded). */
  readonly transferSyntax?: string;
  /** The request command; Message ID and Command Data Set Type are filled in. */
  readonly command: Omit<DimseCommand, 'messageId' | 'commandDataSetType'>;
  /** Data set, in the context's transfer syntax. */
  readonly dataset?: Buffer | Readable;
  /** Aborting sends C-CANCEL-RQ (PS3.7 9.3.2.3); the final response still settles the request. */
  readonly signal?: AbortSignal;
  /** Called for each pending response. */
  readonly onPending?: (response: DimseResponse) => void;
  /** Response timeout; overrides the association's dimse timeout. */
  readonly timeoutMs?: number;
}

/** Options of {@link DimseAssociation.store}. */
export interface StoreOptions {
  /** SOP Class UID of the instance. */
  readonly sopClassUid: string;
  /** SOP Instance UID of the instance. */
  readonly sopInstanceUid: string;
  /** Transfer syntax the data set is encoded in; required to match the context's when given. */
  readonly transferSyntaxUid?: string;
  /** The data set (no File Meta Information), in that transfer syntax. */
  readonly dataset: Buffer | Readable;
  /** Priority (0000,0700); medium by default. */
  readonly priority?: number;
  /** Set when the store is a C-MOVE sub-operation (PS3.7 9.3.1.1). */
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number };
  /** Response timeout; overrides the association's dimse timeout. */
  readonly timeoutMs?: number;
}

/** The operations of an established association, as handlers and clients use them. */
export interface DimseAssociation {
  /** Facts about the association. */
  readonly info: AssociationInfo;
  /** Counters. */
  readonly stats: Readonly<AssociationStats>;
  /** Resolves (never rejects) once the association has ended, with how it ended. */
  readonly closed: Promise<AssociationEnd>;
  /** Sends C-ECHO-RQ (PS3.7 9.1.5) and resolves with the response. */
  echo(options?: { timeoutMs?: number }): Promise<DimseResponse>;
  /** Sends C-STORE-RQ with the data set (PS3.7 9.1.1) and resolves with the response. */
  store(options: StoreOptions): Promise<DimseResponse>;
  /** Sends any request and resolves with its final response (after any pending ones). */
  request(options: DimseRequestOptions): Promise<DimseResponse>;
  /** Releases the association (A-RELEASE, PS3.8 7.2) once outstanding requests are answered. */
  release(): Promise<void>;
  /** Aborts the association (A-ABORT, PS3.8 7.3). */
  abort(): void;
}
