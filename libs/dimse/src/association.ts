import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import {
  buildAssociateAc,
  checkAssociateRq,
  type LocalImplementation,
  readAssociateAc,
  toAssociationRequest,
} from './association-negotiation';
import type {
  AcceptedPresentationContext,
  AssociationDecision,
  AssociationEnd,
  AssociationInfo,
  AssociationRejection,
  AssociationRequest,
  AssociationStats,
  DimseAssociation,
  DimseHandlerResult,
  DimseRequestContext,
  DimseRequestHandlers,
  DimseRequestOptions,
  DimseResponse,
  DimseResult,
  StoreOptions,
} from './association.types';
import {
  CommandField,
  commandFieldName,
  DATA_SET_PRESENT,
  decodeCommand,
  type DimseCommand,
  encodeCommand,
  hasDataSet,
  isResponse,
  NO_DATA_SET,
  Priority,
  RESPONSE_BIT,
} from './command-set';
import { serveCFind } from './c-find-scp';
import { DatasetStream } from './dataset-stream';
import { DicomUid } from './dicom-uids';
import { AssociationRejectedError, DimseError, type PduDecodeError } from './dimse.errors';
import { type DimseLogger } from './dimse-logger';
import { DimseStatus, isPending } from './dimse-status';
import { MessageSender } from './message-sender';
import { PduReader } from './pdu-reader';
import { serveCGet, serveCMove, type SubAssociationOpener } from './retrieve-scp';
import {
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodeAssociateRq,
  encodeReleaseRp,
  encodeReleaseRq,
} from './pdu-writer';
import {
  AbortReason,
  AbortSource,
  type AssociateAcPdu,
  type AssociateRqPdu,
  type ControlPdu,
  PdvControl,
  PduType,
  RejectReason,
  RejectResult,
  RejectSource,
  type RoleSelection,
  type UserIdentity,
} from './pdu.types';

/** Timers of an association, in milliseconds; 0 disables one. */
export interface AssociationTimeouts {
  /**
   * ARTIM (PS3.8 9.1.5): how long to wait for the A-ASSOCIATE-RQ after connect, for the
   * A-ASSOCIATE-AC/RJ after our request, for the A-RELEASE-RP after our A-RELEASE-RQ, and for the
   * peer to close the connection after an A-RELEASE-RP, A-ASSOCIATE-RJ or A-ABORT.
   */
  readonly artimMs: number;
  /** No PDU received (and nothing waiting on us) for this long: A-ABORT. */
  readonly idleMs: number;
  /** How long to wait for a response to a request we sent before aborting (as DCMTK's -td). */
  readonly dimseMs: number;
}

/** Settings of one association, resolved by the server or client. */
export interface AssociationSettings {
  /** Which side we are. */
  readonly role: 'acceptor' | 'requestor';
  /** Our Maximum Length and implementation identity. */
  readonly local: LocalImplementation;
  /** Largest P-DATA-TF PDU we send, whatever the peer accepts. */
  readonly maxSendPduLength: number;
  /** Largest non-P-DATA PDU accepted (association requests with many contexts, identities). */
  readonly maxControlPduLength: number;
  /** Largest command set accepted. */
  readonly maxCommandLength: number;
  /** Largest data set of a response that we buffer (C-FIND identifiers). */
  readonly maxResponseDataSetLength: number;
  /** Buffer of an incoming data set stream above which we stop reading the socket. */
  readonly datasetHighWaterMark: number;
  /** Timers. */
  readonly timeouts: AssociationTimeouts;
  /** Handlers of incoming requests. */
  readonly handlers: DimseRequestHandlers;
  /** Opens the association of C-MOVE sub-operations; without it C-MOVE goes to `onRequest`. */
  readonly openSubAssociation?: SubAssociationOpener;
  /** Logger. */
  readonly logger: DimseLogger;
}

type State =
  | 'awaiting-request'
  | 'awaiting-decision'
  | 'awaiting-accept'
  | 'established'
  | 'releasing-local'
  | 'releasing-peer'
  | 'closing';

interface IncomingOperation {
  readonly messageId: number;
  readonly command: DimseCommand;
  readonly context: AcceptedPresentationContext;
  readonly controller: AbortController;
  readonly dataset: DatasetStream | undefined;
  dataComplete: boolean;
  readonly dataDone: Promise<void>;
  resolveData: () => void;
  finalSent: boolean;
}

interface OutgoingOperation {
  readonly messageId: number;
  readonly timeoutMs: number;
  readonly onPending: ((response: DimseResponse) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  resolve(response: DimseResponse): void;
  reject(error: Error): void;
}

type DataTarget =
  | { readonly kind: 'stream'; readonly contextId: number; readonly op: IncomingOperation }
  | {
      readonly kind: 'buffer';
      readonly contextId: number;
      readonly out: OutgoingOperation | undefined;
      readonly command: DimseCommand;
      readonly parts: Buffer[];
      length: number;
    };

/** What the acceptor side needs from the server to answer an association request. */
export type AssociationNegotiator = (request: AssociationRequest, rq: AssociateRqPdu) => Promise<AssociationDecision>;

let associationCounter = 0;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One DICOM association over one TCP (or TLS) connection, on either side: the upper layer state
 * machine (PS3.8 9.2, simplified to the states a DICOM AE goes through) and the DIMSE message layer
 * (PS3.7 7-10) on top of it. Incoming data sets are streamed to handlers; several responses per
 * request (pending) and requests in both directions on one association (C-GET sub-operations)
 * are supported; C-CANCEL aborts the handler's signal.
 */
export class Association implements DimseAssociation {
  /** Process-unique id, for logs. */
  readonly id = `dimse-${++associationCounter}`;
  /** Counters. */
  readonly stats: AssociationStats = {
    requestsReceived: 0,
    responsesSent: 0,
    requestsSent: 0,
    responsesReceived: 0,
    dataSetBytesReceived: 0,
    messageBytesSent: 0,
  };
  /** Resolves (never rejects) once the association has ended, with how it ended. */
  readonly closed: Promise<AssociationEnd>;
  /** Resolves once the connection is closed, after `closed`. */
  readonly socketClosed: Promise<void>;

  private state: State;
  private ended: AssociationEnd | undefined;
  private resolveClosed!: (end: AssociationEnd) => void;
  private readonly reader: PduReader;
  private readonly sender: MessageSender;
  private readonly remoteAddress: string;
  private readonly remotePort: number;
  private readonly connectedAt = new Date();
  private callingAeTitle = '';
  private calledAeTitle = '';
  private peerMaxPduLength = 0;
  private peerImplementationClassUid = '';
  private peerImplementationVersionName: string | undefined;
  private userIdentity: UserIdentity | undefined;
  private contexts = new Map<number, AcceptedPresentationContext>();
  private roleSelections: RoleSelection[] = [];

  private commandParts: Buffer[] = [];
  private commandLength = 0;
  private commandContextId = 0;
  private dataTarget: DataTarget | undefined;
  private readonly incoming = new Map<number, IncomingOperation>();
  private readonly outgoing = new Map<number, OutgoingOperation>();
  private nextMessageId = 1;
  private idleWaiters: Array<() => void> = [];

  private pausedForBackpressure = false;
  private lastActivity = Date.now();
  private artimTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private establishWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private negotiator: AssociationNegotiator | undefined;
  private onEstablished: (() => void) | undefined;
  private proposed: AssociateRqPdu['presentationContexts'] = [];

  constructor(
    private readonly socket: Socket | TLSSocket,
    private readonly settings: AssociationSettings,
  ) {
    this.state = settings.role === 'acceptor' ? 'awaiting-request' : 'awaiting-accept';
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.sender = new MessageSender(socket, 0, settings.maxSendPduLength);
    this.reader = new PduReader(
      {
        onControlPdu: (pdu) => this.onControlPdu(pdu),
        onPdvData: (contextId, control, data, pdvEnd) => this.onPdvData(contextId, control, data, pdvEnd),
        onPduError: (error) => this.onPduError(error),
      },
      { maxPDataLength: settings.local.maxPduLength, maxControlPduLength: settings.maxControlPduLength },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      // Once ended, the peer has nothing left to say but close: an A-ABORT then (e.g. a peer that
      // failed its release) is answered by closing the transport (PS3.8 9.2.3, Sta13 AA-2) rather
      // than by both sides waiting for the other to close.
      if (this.ended) return void this.socket.destroy();
      this.lastActivity = Date.now();
      this.reader.push(chunk);
    });
    socket.on('end', () => {
      if (!this.ended) this.finish({ kind: 'aborted', by: 'transport', message: 'connection closed by the peer' });
      socket.end();
    });
    socket.on('error', (error) => {
      if (!this.ended) this.finish({ kind: 'aborted', by: 'transport', message: `connection error: ${error.message}` });
      socket.destroy();
    });
    socket.on('close', () => {
      this.clearArtim();
      if (!this.ended) this.finish({ kind: 'aborted', by: 'transport', message: 'connection closed' });
    });
  }

  /** Facts about the association. */
  get info(): AssociationInfo {
    const peerCertificate =
      'getPeerCertificate' in this.socket && typeof this.socket.getPeerCertificate === 'function'
        ? this.socket.getPeerCertificate()
        : undefined;
    return {
      id: this.id,
      role: this.settings.role,
      callingAeTitle: this.callingAeTitle,
      calledAeTitle: this.calledAeTitle,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      maxPduLength: this.settings.local.maxPduLength,
      peerMaxPduLength: this.peerMaxPduLength,
      peerImplementationClassUid: this.peerImplementationClassUid,
      ...(this.peerImplementationVersionName !== undefined
        ? { peerImplementationVersionName: this.peerImplementationVersionName }
        : {}),
      ...(this.userIdentity ? { userIdentity: this.userIdentity } : {}),
      presentationContexts: this.contexts,
      roleSelections: this.roleSelections,
      ...(peerCertificate && Object.keys(peerCertificate).length > 0 ? { tlsPeerCertificate: peerCertificate } : {}),
      connectedAt: this.connectedAt,
    };
  }

  /** Whether the association is established and not yet ending. */
  get isEstablished(): boolean {
    return this.state === 'established';
  }

  /** Number of requests being handled here plus requests awaiting the peer's response. */
  get operationsInFlight(): number {
    return this.incoming.size + this.outgoing.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Establishment

  /** Acceptor (DimseServer): waits for the A-ASSOCIATE-RQ (ARTIM, PS3.8 9.1.5) and answers through `negotiator`. */
  startAcceptor(negotiator: AssociationNegotiator, onEstablished?: () => void): void {
    this.negotiator = negotiator;
    this.onEstablished = onEstablished;
    // ARTIM expiry before the request closes the transport without an A-ABORT (PS3.8 9.2.2, AA-2).
    this.startArtim(() => this.closeTransport('no A-ASSOCIATE-RQ within the ARTIM timeout'));
  }

  /** Requestor (DimseClient): sends the A-ASSOCIATE-RQ; resolves once accepted, rejects on A-ASSOCIATE-RJ or abort. */
  startRequestor(rq: Omit<AssociateRqPdu, 'type'>): Promise<void> {
    this.callingAeTitle = rq.callingAeTitle;
    this.calledAeTitle = rq.calledAeTitle;
    this.proposed = rq.presentationContexts;
    const established = new Promise<void>((resolve, reject) => (this.establishWaiter = { resolve, reject }));
    this.socket.write(encodeAssociateRq(rq));
    this.startArtim(() =>
      this.abortLocal(
        AbortSource.ServiceProvider,
        AbortReason.NotSpecified,
        'no A-ASSOCIATE-AC within the ARTIM timeout',
      ),
    );
    return established;
  }

  private onAssociateRq(rq: AssociateRqPdu): void {
    this.clearArtim();
    this.state = 'awaiting-decision';
    this.callingAeTitle = rq.callingAeTitle;
    this.calledAeTitle = rq.calledAeTitle;
    this.peerMaxPduLength = rq.userInformation.maxLength;
    this.peerImplementationClassUid = rq.userInformation.implementationClassUid;
    this.peerImplementationVersionName = rq.userInformation.implementationVersionName;
    this.userIdentity = rq.userInformation.userIdentity;
    const precheck = checkAssociateRq(rq);
    if (precheck) return this.reject(precheck);
    const tls = this.socket as TLSSocket;
    const peerCertificate = typeof tls.getPeerCertificate === 'function' ? tls.getPeerCertificate() : undefined;
    const request = toAssociationRequest(rq, {
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      ...(peerCertificate && Object.keys(peerCertificate).length > 0
        ? { tlsPeerCertificate: peerCertificate, tlsAuthorized: tls.authorized }
        : {}),
    });
    const negotiator = this.negotiator!;
    Promise.resolve()
      .then(() => negotiator(request, rq))
      .then((decision) => {
        if (this.ended) return;
        if ('reject' in decision) return this.reject(decision.reject);
        const { pdu, negotiated } = buildAssociateAc(rq, decision.accept, this.settings.local);
        const ac = encodeAssociateAc(pdu);
        this.contexts = negotiated.contexts;
        this.roleSelections = negotiated.roleSelections;
        this.sender.setPeerMaxPduLength(this.peerMaxPduLength, this.settings.maxSendPduLength);
        this.socket.write(ac);
        this.establish();
        this.onEstablished?.();
      })
      // A failing hook, or a decision that cannot be encoded: a transient rejection, never an
      // unhandled rejection.
      .catch((error: unknown) => {
        if (this.ended) return;
        this.settings.logger.warn(
          { association: this.id, error: errorMessage(error) },
          'association negotiation failed',
        );
        this.reject({
          result: RejectResult.Transient,
          source: RejectSource.ServiceUser,
          reason: RejectReason.NoReasonGiven,
        });
      });
  }

  private reject(rejection: AssociationRejection): void {
    this.socket.write(encodeAssociateRj(rejection));
    this.finish({ kind: 'rejected', by: 'local', rejection });
    this.socket.end();
    this.startArtim(() => this.socket.destroy());
  }

  private onAssociateAc(ac: AssociateAcPdu): void {
    this.clearArtim();
    const negotiated = readAssociateAc(this.proposed, ac);
    this.contexts = negotiated.contexts;
    this.roleSelections = negotiated.roleSelections;
    this.peerMaxPduLength = ac.userInformation.maxLength;
    this.peerImplementationClassUid = ac.userInformation.implementationClassUid;
    this.peerImplementationVersionName = ac.userInformation.implementationVersionName;
    this.sender.setPeerMaxPduLength(this.peerMaxPduLength, this.settings.maxSendPduLength);
    this.establish();
    this.establishWaiter?.resolve();
    this.establishWaiter = undefined;
  }

  private establish(): void {
    this.state = 'established';
    this.lastActivity = Date.now();
    this.armIdle(this.settings.timeouts.idleMs);
  }

  // ---------------------------------------------------------------------------------------------
  // Upper layer PDUs

  private onControlPdu(pdu: ControlPdu): void {
    const acceptor = this.settings.role === 'acceptor';
    switch (pdu.type) {
      case PduType.AssociateRq:
        if (acceptor && this.state === 'awaiting-request') return this.onAssociateRq(pdu);
        break;
      case PduType.AssociateAc:
        if (!acceptor && this.state === 'awaiting-accept') return this.onAssociateAc(pdu);
        break;
      case PduType.AssociateRj:
        if (!acceptor && this.state === 'awaiting-accept') {
          const rejection = { result: pdu.result, source: pdu.source, reason: pdu.reason } as AssociationRejection;
          this.establishWaiter?.reject(new AssociationRejectedError(pdu.result, pdu.source, pdu.reason));
          this.establishWaiter = undefined;
          this.finish({ kind: 'rejected', by: 'peer', rejection });
          this.socket.end();
          return;
        }
        break;
      case PduType.ReleaseRq:
        if (this.state === 'established' && !this.dataTarget && this.commandLength === 0) {
          this.state = 'releasing-peer';
          return this.answerReleaseWhenIdle();
        }
        if (this.state === 'releasing-local') {
          // Release collision (PS3.8 9.2.2, AR-8; simplified): answer theirs, keep waiting for ours.
          this.socket.write(encodeReleaseRp());
          return;
        }
        break;
      case PduType.ReleaseRp:
        if (this.state === 'releasing-local') {
          this.finish({ kind: 'released', by: 'local' });
          // The side that receives A-RELEASE-RP closes the transport (PS3.8 9.2.2, AR-3).
          this.socket.end();
          this.startArtim(() => this.socket.destroy());
          return;
        }
        break;
      case PduType.Abort:
        this.finish({
          kind: 'aborted',
          by: 'peer',
          source: pdu.source,
          reason: pdu.reason,
          message: `A-ABORT from the peer (source ${pdu.source}, reason ${pdu.reason})`,
        });
        this.socket.destroy();
        return;
    }
    this.protocolViolation(AbortReason.UnexpectedPdu, `unexpected PDU type ${pdu.type} in state ${this.state}`);
  }

  private onPduError(error: PduDecodeError): void {
    this.protocolViolation(error.reason, error.message);
  }

  /** Answers a protocol violation by the peer with A-ABORT from the service provider (PS3.8 9.2.2, AA-8). */
  private protocolViolation(reason: number, message: string): void {
    if (this.ended) return;
    this.settings.logger.warn(
      { association: this.id, callingAeTitle: this.callingAeTitle, remoteAddress: this.remoteAddress, reason },
      `DICOM protocol violation: ${message}`,
    );
    this.abortLocal(AbortSource.ServiceProvider, reason, message);
  }

  private abortLocal(source: number, reason: number, message: string): void {
    if (this.ended) return;
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(encodeAbort({ source, reason }));
    this.finish({ kind: 'aborted', by: 'local', source, reason, message });
    this.socket.end();
    this.startArtim(() => this.socket.destroy());
  }

  private closeTransport(message: string): void {
    this.finish({ kind: 'aborted', by: 'local', message });
    this.socket.destroy();
  }

  /**
   * Ends the association once: fails what is in flight (handler signals abort, partial data set
   * streams error so a partial instance is discarded, pending requests reject) and resolves
   * `closed`. The transport may close a little later.
   */
  private finish(end: AssociationEnd): void {
    if (this.ended) return;
    this.ended = end;
    this.state = 'closing';
    this.reader.stop();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.clearArtim();
    const error =
      end.kind === 'aborted'
        ? new DimseError('ASSOCIATION_ABORTED', `association aborted: ${end.message}`, true)
        : new DimseError('ASSOCIATION_CLOSED', `association ${end.kind}`, true);
    this.establishWaiter?.reject(error);
    this.establishWaiter = undefined;
    for (const op of this.incoming.values()) {
      op.controller.abort(error);
      if (op.dataset && !op.dataComplete) op.dataset.destroy(error);
      op.resolveData();
    }
    for (const out of this.outgoing.values()) {
      if (out.timer) clearTimeout(out.timer);
      out.reject(error);
    }
    this.outgoing.clear();
    this.dataTarget = undefined;
    this.commandParts = [];
    this.commandLength = 0;
    // Let 'end'/'close' through even if we had stopped reading for back-pressure.
    this.socket.resume();
    this.stats.messageBytesSent = this.sender.bytesSent;
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.resolveClosed(end);
  }

  private startArtim(onExpire: () => void): void {
    this.clearArtim();
    if (this.settings.timeouts.artimMs <= 0) return;
    this.artimTimer = setTimeout(onExpire, this.settings.timeouts.artimMs);
    this.artimTimer.unref();
  }

  private clearArtim(): void {
    if (this.artimTimer) clearTimeout(this.artimTimer);
    this.artimTimer = undefined;
  }

  private armIdle(delay: number): void {
    if (this.settings.timeouts.idleMs <= 0 || this.ended) return;
    this.idleTimer = setTimeout(() => this.checkIdle(), delay);
    this.idleTimer.unref();
  }

  /**
   * The idle timer only counts silence the peer is responsible for: not while a handler works on
   * a fully received request, nor while we wait for a response (the DIMSE timeout covers that).
   * Activity is checked lazily here rather than re-arming a timer on every socket chunk.
   */
  private checkIdle(): void {
    if (this.ended) return;
    const idleMs = this.settings.timeouts.idleMs;
    const silent = Date.now() - this.lastActivity;
    if (silent < idleMs) return this.armIdle(idleMs - silent);
    if (this.waitingOnUs()) return this.armIdle(idleMs);
    this.abortLocal(AbortSource.ServiceProvider, AbortReason.NotSpecified, `idle for ${silent} ms`);
  }

  private waitingOnUs(): boolean {
    if (this.outgoing.size > 0 || this.sender.queued > 0) return true;
    for (const op of this.incoming.values()) if (op.dataComplete) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Release and abort

  /** Releases the association (A-RELEASE, PS3.8 7.2) once outstanding requests are answered. */
  async release(): Promise<void> {
    if (this.ended) {
      if (this.ended.kind === 'released') return;
      throw new DimseError('ASSOCIATION_CLOSED', `association already ${this.ended.kind}`, false);
    }
    if (this.state !== 'established') {
      throw new DimseError('INVALID_ARGUMENT', `cannot release in state ${this.state}`, false);
    }
    await this.whenIdle();
    if (this.state === 'established') {
      this.state = 'releasing-local';
      this.socket.write(encodeReleaseRq());
      this.startArtim(() =>
        this.abortLocal(
          AbortSource.ServiceProvider,
          AbortReason.NotSpecified,
          'no A-RELEASE-RP within the ARTIM timeout',
        ),
      );
    }
    const end = await this.closed;
    if (end.kind !== 'released') {
      throw new DimseError('ASSOCIATION_ABORTED', `release failed: association ${end.kind}`, true);
    }
  }

  /** Aborts the association (A-ABORT from the service user, PS3.8 7.3). */
  abort(): void {
    this.abortLocal(AbortSource.ServiceUser, AbortReason.NotSpecified, 'aborted by the local service user');
  }

  /** Closes the connection at once, without A-ABORT (shutdown after the peer had its chance). */
  destroy(): void {
    this.closeTransport('connection destroyed locally');
  }

  private whenIdle(): Promise<void> {
    if (this.ended || (this.operationsInFlight === 0 && this.sender.queued === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** After an operation completes: wake release() waiters, answer a pending A-RELEASE-RQ. */
  private afterOperation(): void {
    if (this.operationsInFlight === 0 && this.sender.queued === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
    this.answerReleaseWhenIdle();
  }

  /** Peer asked to release: finish what is in flight first, then A-RELEASE-RP (PS3.8 7.2). */
  private answerReleaseWhenIdle(): void {
    if (this.state !== 'releasing-peer' || this.incoming.size > 0 || this.sender.queued > 0) return;
    this.socket.write(encodeReleaseRp());
    this.finish({ kind: 'released', by: 'peer' });
    // The requestor closes the transport when it gets the A-RELEASE-RP (PS3.8 9.2.3, AR-3); our
    // end is closed too (after the A-RELEASE-RP, as DCMTK's acceptors do): a requestor that
    // failed its release and waits for the transport to end (as getscu does when a data set it
    // did not read comes first) is not left hanging. ARTIM bounds the wait for its side.
    this.socket.end();
    this.startArtim(() => this.socket.destroy());
  }

  /** Stops reading the socket when the consumer of a data set falls behind. */
  private onDatasetDemand = (): void => {
    this.lastActivity = Date.now();
    if (this.pausedForBackpressure) {
      this.pausedForBackpressure = false;
      this.socket.resume();
    }
  };

  // ---------------------------------------------------------------------------------------------
  // DIMSE messages in

  private onPdvData(contextId: number, control: number, data: Buffer, pdvEnd: boolean): void {
    if (this.state !== 'established' && this.state !== 'releasing-local') {
      return this.protocolViolation(AbortReason.UnexpectedPdu, `P-DATA-TF in state ${this.state}`);
    }
    const last = pdvEnd && (control & PdvControl.Last) !== 0;
    if ((control & PdvControl.Command) !== 0) {
      if (this.dataTarget) {
        return this.protocolViolation(
          AbortReason.UnexpectedPduParameter,
          'command fragment before the end of a data set',
        );
      }
      if (this.commandLength === 0 && this.commandParts.length === 0) {
        if (!this.contexts.has(contextId)) {
          return this.protocolViolation(
            AbortReason.InvalidPduParameterValue,
            `P-DATA-TF on presentation context ${contextId}, which was not accepted`,
          );
        }
        this.commandContextId = contextId;
      } else if (contextId !== this.commandContextId) {
        // Every fragment of a message uses the same presentation context (PS3.8 E.1).
        return this.protocolViolation(AbortReason.InvalidPduParameterValue, 'command fragments on different contexts');
      }
      this.commandLength += data.length;
      if (this.commandLength > this.settings.maxCommandLength) {
        return this.protocolViolation(
          AbortReason.InvalidPduParameterValue,
          `command set over ${this.settings.maxCommandLength} bytes`,
        );
      }
      this.commandParts.push(data);
      if (!last) return;
      const bytes = this.commandParts.length === 1 ? this.commandParts[0]! : Buffer.concat(this.commandParts);
      this.commandParts = [];
      this.commandLength = 0;
      let command: DimseCommand;
      try {
        command = decodeCommand(bytes);
      } catch (error) {
        return this.protocolViolation(AbortReason.InvalidPduParameterValue, errorMessage(error));
      }
      return this.onCommand(contextId, command);
    }
    const target = this.dataTarget;
    if (!target || target.contextId !== contextId) {
      return this.protocolViolation(
        AbortReason.UnexpectedPduParameter,
        'data set fragment without a command announcing it',
      );
    }
    if (target.kind === 'stream') {
      this.stats.dataSetBytesReceived += data.length;
      const stream = target.op.dataset!;
      if (data.length > 0 && !stream.destroyed && !stream.push(data) && !this.pausedForBackpressure) {
        this.pausedForBackpressure = true;
        this.socket.pause();
      }
      if (last) {
        this.dataTarget = undefined;
        target.op.dataComplete = true;
        if (!stream.destroyed) stream.push(null);
        target.op.resolveData();
      }
      return;
    }
    target.length += data.length;
    if (target.length > this.settings.maxResponseDataSetLength) {
      return this.abortLocal(
        AbortSource.ServiceUser,
        AbortReason.NotSpecified,
        `response data set over ${this.settings.maxResponseDataSetLength} bytes`,
      );
    }
    // Copied: a view would pin the whole socket chunk until the response completes.
    if (target.out) target.parts.push(Buffer.from(data));
    if (last) {
      this.dataTarget = undefined;
      if (target.out) this.completeResponse(target.out, target.command, Buffer.concat(target.parts, target.length));
    }
  }

  private onCommand(contextId: number, command: DimseCommand): void {
    this.settings.logger.debug(
      { association: this.id, command: commandFieldName(command.commandField), messageId: command.messageId },
      'DIMSE message received',
    );
    if (isResponse(command.commandField)) return this.onResponse(contextId, command);
    if (command.commandField === CommandField.CCancelRq) {
      // C-CANCEL-RQ has no response of its own; the cancelled operation answers FE00 (PS3.7 9.3.2.3).
      const op = this.incoming.get(command.messageIdBeingRespondedTo ?? -1);
      op?.controller.abort(new DimseError('CANCELLED', 'cancelled by C-CANCEL-RQ', false));
      if (hasDataSet(command)) this.discardDataSet(contextId, command);
      return;
    }
    this.onRequest(contextId, command);
  }

  private discardDataSet(contextId: number, command: DimseCommand): void {
    this.dataTarget = { kind: 'buffer', contextId, out: undefined, command, parts: [], length: 0 };
  }

  private onRequest(contextId: number, command: DimseCommand): void {
    if (command.messageId === undefined) {
      return this.protocolViolation(AbortReason.InvalidPduParameterValue, 'request without Message ID');
    }
    if (this.incoming.has(command.messageId)) {
      return this.protocolViolation(
        AbortReason.InvalidPduParameterValue,
        `Message ID ${command.messageId} already in use`,
      );
    }
    if (this.state !== 'established') {
      return this.protocolViolation(AbortReason.UnexpectedPdu, `request in state ${this.state}`);
    }
    this.stats.requestsReceived++;
    const withData = hasDataSet(command);
    let resolveData!: () => void;
    const dataDone = withData ? new Promise<void>((resolve) => (resolveData = resolve)) : Promise.resolve();
    const dataset = withData ? new DatasetStream(this.settings.datasetHighWaterMark, this.onDatasetDemand) : undefined;
    // A consumer that stops early (destroy) must not leave the socket paused.
    dataset?.once('close', this.onDatasetDemand);
    // An abort errors the stream; a handler that already returned without reading it must not
    // turn that into an uncaught 'error' event. Handlers that read it still see the error.
    dataset?.on('error', () => undefined);
    const op: IncomingOperation = {
      messageId: command.messageId,
      command,
      context: this.contexts.get(contextId)!,
      controller: new AbortController(),
      dataset,
      dataComplete: !withData,
      dataDone,
      resolveData: withData ? resolveData : () => undefined,
      finalSent: false,
    };
    this.incoming.set(op.messageId, op);
    if (withData) this.dataTarget = { kind: 'stream', contextId, op };
    void this.handle(op);
  }

  private context(op: IncomingOperation): DimseRequestContext {
    return {
      association: this,
      presentationContext: op.context,
      messageId: op.messageId,
      signal: op.controller.signal,
      sendPending: async (result) => {
        if (!isPending(result.status))
          throw new DimseError('INVALID_ARGUMENT', 'sendPending needs a pending status', false);
        if (op.finalSent || this.ended)
          throw new DimseError('ASSOCIATION_CLOSED', 'the request is no longer open', true);
        await this.sendResponse(op, result);
      },
    };
  }

  private dispatch(op: IncomingOperation): Promise<DimseHandlerResult> | DimseHandlerResult {
    const { handlers } = this.settings;
    const ctx = this.context(op);
    switch (op.command.commandField) {
      case CommandField.CEchoRq:
        if (handlers.onCEcho) return handlers.onCEcho(ctx);
        if (!handlers.onRequest) return DimseStatus.Success;
        break;
      case CommandField.CStoreRq:
        if (handlers.onCStore && op.dataset) return handlers.onCStore(ctx, op.command, op.dataset);
        break;
      case CommandField.CFindRq:
        if (handlers.onCFind) return serveCFind(ctx, op.command, op.dataset, handlers.onCFind, this.settings.logger);
        break;
      case CommandField.CGetRq:
        if (handlers.onCGet) return serveCGet(ctx, op.command, op.dataset, handlers.onCGet, this.settings.logger);
        break;
      case CommandField.CMoveRq: {
        const open = this.settings.openSubAssociation;
        if (handlers.onCMove && open) {
          return serveCMove(ctx, op.command, op.dataset, handlers.onCMove, open, this.settings.logger);
        }
        break;
      }
    }
    if (handlers.onRequest) return handlers.onRequest(ctx, op.command, op.dataset);
    return DimseStatus.UnrecognizedOperation;
  }

  private async handle(op: IncomingOperation): Promise<void> {
    let result: DimseResult;
    try {
      const outcome = await this.dispatch(op);
      result = typeof outcome === 'number' ? { status: outcome } : outcome;
    } catch (error) {
      if (!this.ended) {
        this.settings.logger.warn(
          { association: this.id, command: commandFieldName(op.command.commandField), error: errorMessage(error) },
          'DIMSE handler failed',
        );
      }
      // The peer gets a generic comment: internal error messages stay in our logs.
      result = { status: DimseStatus.ProcessingFailure, errorComment: 'processing failure' };
    }
    // The response goes out only once the whole request has arrived; what the handler left
    // unread is discarded.
    if (op.dataset && !op.dataComplete && !op.dataset.destroyed) op.dataset.resume();
    await op.dataDone;
    if (!this.ended) {
      try {
        await this.sendResponse(op, result);
      } catch (error) {
        this.settings.logger.warn({ association: this.id, error: errorMessage(error) }, 'DIMSE response not sent');
      }
    }
    op.finalSent = true;
    this.incoming.delete(op.messageId);
    if (!this.ended) this.afterOperation();
  }

  private async sendResponse(op: IncomingOperation, result: DimseResult): Promise<void> {
    const request = op.command;
    const command: DimseCommand = {
      commandField: request.commandField | RESPONSE_BIT,
      messageIdBeingRespondedTo: op.messageId,
      ...(request.affectedSopClassUid !== undefined ? { affectedSopClassUid: request.affectedSopClassUid } : {}),
      ...(request.affectedSopInstanceUid !== undefined
        ? { affectedSopInstanceUid: request.affectedSopInstanceUid }
        : {}),
      ...result.command,
      status: result.status,
      ...(result.errorComment !== undefined ? { errorComment: result.errorComment } : {}),
      ...(result.offendingElement !== undefined ? { offendingElement: result.offendingElement } : {}),
      ...(result.errorId !== undefined ? { errorId: result.errorId } : {}),
      commandDataSetType: result.dataset ? DATA_SET_PRESENT : NO_DATA_SET,
    };
    await this.sender.send(op.context.id, encodeCommand(command), result.dataset);
    this.stats.responsesSent++;
  }

  private onResponse(contextId: number, command: DimseCommand): void {
    this.stats.responsesReceived++;
    const out = this.outgoing.get(command.messageIdBeingRespondedTo ?? -1);
    if (command.status === undefined) {
      return this.protocolViolation(AbortReason.InvalidPduParameterValue, 'response without Status');
    }
    if (!out) {
      this.settings.logger.warn(
        { association: this.id, messageIdBeingRespondedTo: command.messageIdBeingRespondedTo },
        'DIMSE response to no outstanding request, ignored',
      );
    }
    if (hasDataSet(command)) {
      this.dataTarget = { kind: 'buffer', contextId, out, command, parts: [], length: 0 };
      return;
    }
    if (out) this.completeResponse(out, command, undefined);
  }

  private completeResponse(out: OutgoingOperation, command: DimseCommand, dataset: Buffer | undefined): void {
    const response: DimseResponse = { status: command.status!, command, ...(dataset ? { dataset } : {}) };
    if (isPending(response.status)) {
      this.armResponseTimer(out);
      try {
        out.onPending?.(response);
      } catch (error) {
        this.settings.logger.warn({ association: this.id, error: errorMessage(error) }, 'onPending callback failed');
      }
      return;
    }
    if (out.timer) clearTimeout(out.timer);
    this.outgoing.delete(out.messageId);
    out.resolve(response);
    this.afterOperation();
  }

  // ---------------------------------------------------------------------------------------------
  // DIMSE messages out

  private armResponseTimer(out: OutgoingOperation): void {
    if (out.timer) clearTimeout(out.timer);
    if (out.timeoutMs <= 0) return;
    out.timer = setTimeout(() => {
      const error = new DimseError(
        'TIMEOUT',
        `no response to message ${out.messageId} within ${out.timeoutMs} ms`,
        true,
      );
      this.outgoing.delete(out.messageId);
      out.reject(error);
      // A late response could not be matched reliably any more: abort, as DCMTK does.
      this.abortLocal(AbortSource.ServiceUser, AbortReason.NotSpecified, error.message);
    }, out.timeoutMs);
    out.timer.unref();
  }

  private findContext(options: DimseRequestOptions): AcceptedPresentationContext {
    if (options.contextId !== undefined) {
      const pc = this.contexts.get(options.contextId);
      if (pc) return pc;
    } else {
      for (const pc of this.contexts.values()) {
        if (options.abstractSyntax !== undefined && pc.abstractSyntax !== options.abstractSyntax) continue;
        if (options.transferSyntax !== undefined && pc.transferSyntax !== options.transferSyntax) continue;
        return pc;
      }
    }
    throw new DimseError(
      'NO_PRESENTATION_CONTEXT',
      `no accepted presentation context for ${options.abstractSyntax ?? `id ${options.contextId}`}` +
        (options.transferSyntax ? ` in ${options.transferSyntax}` : ''),
      false,
    );
  }

  private allocateMessageId(): number {
    // Message IDs are 16-bit and must be unique among outstanding requests (PS3.7 9.1.1.1.1).
    for (let i = 0; i < 0x10000; i++) {
      const id = this.nextMessageId;
      this.nextMessageId = id === 0xffff ? 1 : id + 1;
      if (!this.outgoing.has(id)) return id;
    }
    throw new DimseError('RESOURCE_LIMIT', 'no free Message ID', true);
  }

  /** Sends any request and resolves with its final response (after any pending ones). */
  async request(options: DimseRequestOptions): Promise<DimseResponse> {
    if (this.ended || (this.state !== 'established' && this.state !== 'releasing-peer')) {
      throw new DimseError(
        'ASSOCIATION_CLOSED',
        `association not established (${this.ended?.kind ?? this.state})`,
        true,
      );
    }
    const pc = this.findContext(options);
    const messageId = this.allocateMessageId();
    const command: DimseCommand = {
      affectedSopClassUid: pc.abstractSyntax,
      ...options.command,
      messageId,
      commandDataSetType: options.dataset ? DATA_SET_PRESENT : NO_DATA_SET,
    };
    const response = new Promise<DimseResponse>((resolve, reject) => {
      this.outgoing.set(messageId, {
        messageId,
        timeoutMs: options.timeoutMs ?? this.settings.timeouts.dimseMs,
        onPending: options.onPending,
        timer: undefined,
        resolve,
        reject,
      });
    });
    // The caller may never await `response` if sending fails; keep that rejection handled.
    response.catch(() => undefined);
    const onAbort = (): void => {
      if (!this.outgoing.has(messageId) || this.ended) return;
      const cancel: DimseCommand = {
        commandField: CommandField.CCancelRq,
        messageIdBeingRespondedTo: messageId,
        commandDataSetType: NO_DATA_SET,
      };
      this.sender.send(pc.id, encodeCommand(cancel)).catch(() => undefined);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.stats.requestsSent++;
      const sending = this.sender.send(pc.id, encodeCommand(command), options.dataset);
      sending.then(
        () => {
          this.stats.messageBytesSent = this.sender.bytesSent;
          // The response timer starts once the whole request is out.
          const out = this.outgoing.get(messageId);
          if (out && !out.timer) this.armResponseTimer(out);
        },
        (error: unknown) => {
          // A data set stream that failed mid-message leaves the peer waiting for fragments that
          // will never come, and there is no way to withdraw a message (PS3.8 9.3.5): abort.
          if (!this.ended) {
            this.abortLocal(
              AbortSource.ServiceUser,
              AbortReason.NotSpecified,
              `request not sent whole: ${errorMessage(error)}`,
            );
          }
        },
      );
      // Racing the response: if the association ends while a data set stream is stalled, the
      // request fails now rather than when (if ever) the stream yields again.
      await Promise.race([sending, response]);
      if (options.signal?.aborted) onAbort();
      return await response;
    } catch (error) {
      const out = this.outgoing.get(messageId);
      if (out?.timer) clearTimeout(out.timer);
      this.outgoing.delete(messageId);
      if (!this.ended) this.afterOperation();
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Sends C-ECHO-RQ (PS3.7 9.1.5) and resolves with the response. */
  echo(options: { timeoutMs?: number } = {}): Promise<DimseResponse> {
    return this.request({
      abstractSyntax: DicomUid.Verification,
      command: { commandField: CommandField.CEchoRq, affectedSopClassUid: DicomUid.Verification },
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /** Sends C-STORE-RQ with the data set (PS3.7 9.1.1) and resolves with the response. */
  store(options: StoreOptions): Promise<DimseResponse> {
    const dataset: Buffer | Readable = options.dataset;
    return this.request({
      abstractSyntax: options.sopClassUid,
      ...(options.transferSyntaxUid !== undefined ? { transferSyntax: options.transferSyntaxUid } : {}),
      command: {
        commandField: CommandField.CStoreRq,
        affectedSopClassUid: options.sopClassUid,
        affectedSopInstanceUid: options.sopInstanceUid,
        priority: options.priority ?? Priority.Medium,
        ...(options.moveOriginator
          ? {
              moveOriginatorApplicationEntityTitle: options.moveOriginator.aeTitle,
              moveOriginatorMessageId: options.moveOriginator.messageId,
            }
          : {}),
      },
      dataset,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
}
