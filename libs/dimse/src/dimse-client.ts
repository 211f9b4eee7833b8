import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Association, type AssociationTimeouts } from './association';
import { buildAssociateRq, type PresentationContextRequest } from './association-negotiation';
import type { DimseAssociation, DimseRequestHandlers } from './association.types';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './dicom-uids';
import { DimseError } from './dimse.errors';
import { type DimseLogger, silentLogger } from './dimse-logger';
import { DEFAULT_MAX_SEND_PDU_LENGTH } from './message-sender';
import type { RoleSelection, UserIdentity } from './pdu.types';

/** Timers of a client association, in milliseconds (0 disables one). */
export interface DimseClientTimeouts extends AssociationTimeouts {
  /** TCP (and TLS) connection establishment. */
  readonly connectMs: number;
}

/** Options of {@link DimseClient.connect}. */
export interface DimseClientOptions {
  /** Peer host. */
  readonly host: string;
  /** Peer port. */
  readonly port: number;
  /** Our AE title. */
  readonly callingAeTitle: string;
  /** The peer's AE title. */
  readonly calledAeTitle: string;
  /** Presentation contexts to propose (1 to 128). */
  readonly presentationContexts: readonly PresentationContextRequest[];
  /** Largest P-DATA-TF PDU we accept and announce; 256 KiB by default. */
  readonly maxPduLength?: number;
  /** Largest P-DATA-TF PDU we send, whatever the peer accepts; 1 MiB by default. */
  readonly maxSendPduLength?: number;
  /** Connect with TLS (PS3.15 B.1): CA, client certificate and key, servername... */
  readonly tls?: ConnectionOptions;
  /** Timers; defaults: connect 10 s, ARTIM 30 s, DIMSE 60 s, idle disabled. */
  readonly timeouts?: Partial<DimseClientTimeouts>;
  /** User identity to send (PS3.7 D.3.3.7). */
  readonly userIdentity?: UserIdentity;
  /** SCP/SCU role selection to propose (e.g. SCP role for storage classes, for C-GET). */
  readonly roleSelections?: readonly RoleSelection[];
  /** Handlers of requests the peer sends us (C-STORE sub-operations of C-GET). */
  readonly handlers?: DimseRequestHandlers;
  /** Buffered bytes of an incoming data set stream above which we stop reading; 1 MiB by default. */
  readonly datasetHighWaterMark?: number;
  /** Logger (pino-compatible); silent by default. */
  readonly logger?: DimseLogger;
}

function openSocket(options: DimseClientOptions, connectMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tlsConnect({ ...options.tls, host: options.host, port: options.port })
      : tcpConnect({ host: options.host, port: options.port, noDelay: true });
    const timer =
      connectMs > 0
        ? setTimeout(() => {
            socket.destroy();
            reject(new DimseError('TIMEOUT', `connect to ${options.host}:${options.port} timed out`, true));
          }, connectMs)
        : undefined;
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new DimseError('CONNECT_FAILED', `connect to ${options.host}:${options.port}: ${error.message}`, true, {
          cause: error,
        }),
      );
    });
  });
}

/** DICOM association requestor (SCU side). */
export class DimseClient {
  /**
   * Connects and negotiates an association (PS3.8 7.1); resolves once accepted. Rejects with
   * AssociationRejectedError on A-ASSOCIATE-RJ, DimseError otherwise.
   */
  static async connect(options: DimseClientOptions): Promise<DimseAssociation> {
    const timeouts = { connectMs: 10_000, artimMs: 30_000, dimseMs: 60_000, idleMs: 0, ...options.timeouts };
    const local = {
      maxPduLength: options.maxPduLength ?? 256 * 1024,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    };
    const rq = buildAssociateRq({
      callingAeTitle: options.callingAeTitle,
      calledAeTitle: options.calledAeTitle,
      presentationContexts: options.presentationContexts,
      local,
      ...(options.roleSelections ? { roleSelections: options.roleSelections } : {}),
      ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
    });
    const socket = await openSocket(options, timeouts.connectMs);
    const association = new Association(socket, {
      role: 'requestor',
      local,
      maxSendPduLength: options.maxSendPduLength ?? DEFAULT_MAX_SEND_PDU_LENGTH,
      maxControlPduLength: 1024 * 1024,
      maxCommandLength: 64 * 1024,
      maxResponseDataSetLength: 16 * 1024 * 1024,
      datasetHighWaterMark: options.datasetHighWaterMark ?? 1024 * 1024,
      timeouts,
      handlers: options.handlers ?? {},
      openSubAssociation: (subOptions) => DimseClient.connect(subOptions),
      logger: options.logger ?? silentLogger,
    });
    await association.startRequestor(rq);
    return association;
  }
}
