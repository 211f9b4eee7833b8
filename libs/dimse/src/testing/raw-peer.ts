// Test support: a DICOM peer at the PDU level, to send what a well-behaved client would not
// (half a data set then A-ABORT, malformed PDUs, A-RELEASE-RQ during an operation).
import { connect, type Socket } from 'node:net';
import { decodeCommand, type DimseCommand, encodeCommand } from '../command-set';
import { DicomUid } from '../dicom-uids';
import { PduReader } from '../pdu-reader';
import { encodeAssociateRq, encodePDataTf } from '../pdu-writer';
import { type ControlPdu, PdvControl } from '../pdu.types';

/** What the raw peer received: a control PDU, a whole command, or a whole data set. */
export type RawEvent =
  | { readonly kind: 'pdu'; readonly pdu: ControlPdu }
  | { readonly kind: 'command'; readonly contextId: number; readonly command: DimseCommand }
  | { readonly kind: 'dataset'; readonly contextId: number; readonly data: Buffer }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'closed' };

/** A TCP connection speaking raw PDUs. */
export class RawPeer {
  private readonly events: RawEvent[] = [];
  private waiters: Array<(event: RawEvent) => void> = [];
  private parts: Buffer[] = [];
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    const reader = new PduReader(
      {
        onControlPdu: (pdu) => this.emit({ kind: 'pdu', pdu }),
        onPdvData: (contextId, control, data, pdvEnd) => {
          this.parts.push(Buffer.from(data));
          if (!pdvEnd || (control & PdvControl.Last) === 0) return;
          const whole = Buffer.concat(this.parts);
          this.parts = [];
          if (control & PdvControl.Command) this.emit({ kind: 'command', contextId, command: decodeCommand(whole) });
          else this.emit({ kind: 'dataset', contextId, data: whole });
        },
        onPduError: (error) => this.emit({ kind: 'error', message: error.message }),
      },
      { maxPDataLength: 1 << 30, maxControlPduLength: 1 << 20 },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.emit({ kind: 'closed' });
        resolve();
      }),
    );
  }

  /** Opens a connection. */
  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  private emit(event: RawEvent): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.events.push(event);
  }

  /** The next event, in order of arrival. */
  next(timeoutMs = 5000): Promise<RawEvent> {
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event from the server in time')), timeoutMs);
      this.waiters.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  }

  /** Writes raw bytes. */
  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends an A-ASSOCIATE-RQ proposing the given abstract syntaxes (ids 1, 3, ...) and waits for the answer. */
  async associate(
    abstractSyntaxes: readonly string[] = [DicomUid.Verification],
    transferSyntax: string = DicomUid.ImplicitVrLittleEndian,
    applicationContext: string = DicomUid.ApplicationContext,
  ): Promise<ControlPdu> {
    this.send(
      encodeAssociateRq({
        protocolVersion: 1,
        calledAeTitle: 'PACS',
        callingAeTitle: 'RAW',
        applicationContext,
        presentationContexts: abstractSyntaxes.map((abstractSyntax, i) => ({
          id: i * 2 + 1,
          abstractSyntax,
          transferSyntaxes: [transferSyntax],
        })),
        userInformation: {
          maxLength: 0,
          implementationClassUid: '1.2.3',
          roleSelections: [],
          extendedNegotiations: [],
        },
      }),
    );
    const event = await this.next();
    if (event.kind !== 'pdu') throw new Error(`expected an A-ASSOCIATE answer, got ${event.kind}`);
    return event.pdu;
  }

  /** Sends a command (one PDV). */
  sendCommand(contextId: number, command: DimseCommand): void {
    this.send(
      encodePDataTf([{ contextId, control: PdvControl.Command | PdvControl.Last, data: encodeCommand(command) }]),
    );
  }

  /** Sends data set bytes as one PDV, last or not. */
  sendData(contextId: number, data: Buffer, last: boolean): void {
    this.send(encodePDataTf([{ contextId, control: last ? PdvControl.Last : 0, data }]));
  }
}
