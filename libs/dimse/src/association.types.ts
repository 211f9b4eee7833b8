import type { Readable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
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
   * Any other request (C-FIND, C-MOVE, C-GET, N-*), and C-ECHO/C-STORE when their hooks are
   * absent. Without it, such requests answer 0211 (unrecognized operation).
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
