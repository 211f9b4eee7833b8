import { EventEmitter } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Association, type AssociationTimeouts } from './association';
import type {
  AssociationDecision,
  AssociationEnd,
  AssociationInfo,
  AssociationRequest,
  AssociationStats,
  DimseRequestHandlers,
} from './association.types';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom-uids';
import { DimseClient } from './dimse-client';
import { type DimseLogger, silentLogger } from './dimse-logger';
import { DEFAULT_MAX_SEND_PDU_LENGTH } from './message-sender';
import { RejectReason, RejectResult, RejectSource } from './pdu.types';

/** TLS settings of the server (PS3.15 B.1: the TLS secure transport connection profile). */
export interface DimseServerTlsOptions {
  /** Private key (PEM). */
  readonly key: string | Buffer;
  /** Certificate chain (PEM). */
  readonly cert: string | Buffer;
  /** CAs trusted for client certificates (PEM). */
  readonly ca?: string | Buffer | Array<string | Buffer>;
  /** Require a client certificate signed by `ca` (mutual TLS). */
  readonly requestCert?: boolean;
}

/** Options of {@link DimseServer}. */
export interface DimseServerOptions extends DimseRequestHandlers {
  /** Address to listen on; loopback by default. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Listen with TLS instead of plain TCP. */
  readonly tls?: DimseServerTlsOptions;
  /** Largest P-DATA-TF PDU we accept and announce (PS3.8 D.1); 256 KiB by default. */
  readonly maxPduLength?: number;
  /** Largest P-DATA-TF PDU we send, whatever the peer accepts; 1 MiB by default. */
  readonly maxSendPduLength?: number;
  /** Associations at once (negotiating or established); more are rejected as local limit exceeded. */
  readonly maxAssociations?: number;
  /** Timers; defaults: ARTIM 30 s, idle 60 s, DIMSE 60 s. */
  readonly timeouts?: Partial<AssociationTimeouts>;
  /** Buffered bytes of an incoming data set stream above which we stop reading the socket; 1 MiB by default. */
  readonly datasetHighWaterMark?: number;
  /** Implementation Class UID we announce. */
  readonly implementationClassUid?: string;
  /** Implementation Version Name we announce. */
  readonly implementationVersionName?: string;
  /** Logger (pino-compatible); silent by default. */
  readonly logger?: DimseLogger;
  /**
   * Decides on each association request: reject (A-ASSOCIATE-RJ) or accept with a transfer
   * syntax per presentation context. Protocol version and application context are checked before.
   */
  onAssociationRequest(request: AssociationRequest): Promise<AssociationDecision>;
}

/** Payload of the association events. */
export interface AssociationEvent {
  /** Facts about the association. */
  readonly association: AssociationInfo;
  /** Counters at the time of the event. */
  readonly stats: Readonly<AssociationStats>;
  /** How it ended (absent for associationEstablished). */
  readonly end?: AssociationEnd;
  /** Milliseconds since the connection was made. */
  readonly durationMs: number;
}

/** Events of {@link DimseServer}, for logs, metrics and the audit trail. */
export interface DimseServerEvents {
  /** An association was accepted. */
  associationEstablished: [AssociationEvent];
  /** An association request was rejected (by us). */
  associationRejected: [AssociationEvent];
  /** An association ended by A-RELEASE. */
  associationReleased: [AssociationEvent];
  /** An association ended by A-ABORT (either side) or by losing the connection. */
  associationAborted: [AssociationEvent];
}

const defaults = {
  host: '127.0.0.1',
  maxPduLength: 256 * 1024,
  maxAssociations: 100,
  datasetHighWaterMark: 1024 * 1024,
  timeouts: { artimMs: 30_000, idleMs: 60_000, dimseMs: 60_000 },
};

/**
 * DICOM upper layer acceptor (PS3.8) with the DIMSE message layer (PS3.7): listens on TCP or
 * TLS, runs one {@link Association} per connection and calls the handlers for each request.
 */
export class DimseServer extends EventEmitter<DimseServerEvents> {
  private readonly server: Server;
  private readonly associations = new Set<Association>();
  private closing = false;
  private readonly logger: DimseLogger;

  constructor(private readonly options: DimseServerOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    const onConnection = (socket: Socket): void => this.accept(socket);
    if (options.tls) {
      const { key, cert, ca, requestCert } = options.tls;
      this.server = createTlsServer(
        {
          key,
          cert,
          ...(ca !== undefined ? { ca } : {}),
          requestCert: requestCert ?? false,
          rejectUnauthorized: requestCert ?? false,
        },
        onConnection,
      );
      // A failed handshake must not take the server down (PS3.15 B.1 peers may probe).
      this.server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.logger.warn({ remoteAddress: socket.remoteAddress, error: error.message }, 'TLS handshake failed');
      });
    } else {
      this.server = createTcpServer({ noDelay: true }, onConnection);
    }
    // Errors after listen (e.g. EMFILE on accept) must not crash the process.
    this.server.on('error', (error: Error) => this.logger.warn({ error: error.message }, 'DICOM listener error'));
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? defaults.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  get address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  /** Associations currently open (negotiating, established or releasing). */
  get openAssociations(): number {
    return this.associations.size;
  }

  /**
   * Graceful shutdown: stops accepting connections, rejects new association requests, lets open
   * associations finish (the peer releases them) for up to `timeoutMs`, then aborts the rest.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const all = (): Promise<unknown> => Promise.all([...this.associations].map((a) => a.socketClosed));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), options.timeoutMs ?? 10_000);
    });
    const finished = await Promise.race([all().then(() => false), timedOut]);
    clearTimeout(timer);
    if (finished) {
      for (const association of this.associations) association.abort();
      // The peer closes the connection when it gets the A-ABORT; one that does not is cut off.
      const grace = new Promise((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([all(), grace]);
      for (const association of this.associations) association.destroy();
      await all();
    }
    await stopped;
  }

  private settings(): ConstructorParameters<typeof Association>[1] {
    const o = this.options;
    return {
      role: 'acceptor',
      local: {
        maxPduLength: o.maxPduLength ?? defaults.maxPduLength,
        implementationClassUid: o.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
        implementationVersionName: o.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
      },
      maxSendPduLength: o.maxSendPduLength ?? DEFAULT_MAX_SEND_PDU_LENGTH,
      // Bounds what an unauthenticated peer can make us buffer; ample for 128 contexts and a
      // SAML or JWT user identity.
      maxControlPduLength: 256 * 1024,
      maxCommandLength: 64 * 1024,
      maxResponseDataSetLength: 16 * 1024 * 1024,
      datasetHighWaterMark: o.datasetHighWaterMark ?? defaults.datasetHighWaterMark,
      timeouts: { ...defaults.timeouts, ...o.timeouts },
      handlers: {
        onCEcho: o.onCEcho?.bind(o),
        onCStore: o.onCStore?.bind(o),
        onCFind: o.onCFind?.bind(o),
        onCGet: o.onCGet?.bind(o),
        onCMove: o.onCMove?.bind(o),
        onRequest: o.onRequest?.bind(o),
      },
      openSubAssociation: (options) => DimseClient.connect(options),
      logger: this.logger,
    };
  }

  private accept(socket: Socket): void {
    const association = new Association(socket, this.settings());
    this.associations.add(association);
    void association.socketClosed.then(() => this.associations.delete(association));
    const event = (end?: AssociationEnd): AssociationEvent => ({
      association: association.info,
      stats: { ...association.stats },
      ...(end ? { end } : {}),
      durationMs: Date.now() - association.info.connectedAt.getTime(),
    });
    void association.closed.then((end) => {
      const payload = event(end);
      const context = {
        association: association.id,
        callingAeTitle: payload.association.callingAeTitle,
        calledAeTitle: payload.association.calledAeTitle,
        remoteAddress: payload.association.remoteAddress,
        end,
      };
      if (end.kind === 'released') {
        this.logger.info(context, 'association released');
        this.emit('associationReleased', payload);
      } else if (end.kind === 'rejected') {
        this.logger.info(context, 'association rejected');
        this.emit('associationRejected', payload);
      } else {
        this.logger.info(context, 'association aborted');
        this.emit('associationAborted', payload);
      }
    });
    association.startAcceptor(
      async (request) => {
        if (this.closing) {
          return {
            reject: {
              result: RejectResult.Transient,
              source: RejectSource.ServiceProviderPresentation,
              reason: RejectReason.TemporaryCongestion,
            },
          };
        }
        if (this.associations.size > (this.options.maxAssociations ?? defaults.maxAssociations)) {
          return {
            reject: {
              result: RejectResult.Transient,
              source: RejectSource.ServiceProviderPresentation,
              reason: RejectReason.LocalLimitExceeded,
            },
          };
        }
        return this.options.onAssociationRequest(request);
      },
      () => {
        this.logger.info(
          {
            association: association.id,
            callingAeTitle: association.info.callingAeTitle,
            calledAeTitle: association.info.calledAeTitle,
            remoteAddress: association.info.remoteAddress,
          },
          'association established',
        );
        this.emit('associationEstablished', event());
      },
    );
  }
}
