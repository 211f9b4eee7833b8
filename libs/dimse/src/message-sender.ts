import type { Duplex, Readable } from 'node:stream';
import { DimseError } from './dimse.errors';
import { PDATA_HEADER_LENGTH, PDV_OVERHEAD, pDataHeader } from './pdu-writer';
import { PdvControl } from './pdu.types';

/** Fragments up to this size are copied behind their header and written as one buffer. */
const SMALL_PDU = 4096;

/** Largest P-DATA-TF PDU we send when the peer announces no limit (Maximum Length 0, PS3.8 D.1). */
export const DEFAULT_MAX_SEND_PDU_LENGTH = 1024 * 1024;

function closedError(): DimseError {
  return new DimseError('ASSOCIATION_CLOSED', 'the association is closed', true);
}

/** Resolves once the socket has flushed its buffer, rejects if it closes first. */
function drained(socket: Duplex): Promise<void> {
  if (!socket.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(closedError());
    };
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/**
 * Writes DIMSE messages (command set, then data set) as P-DATA-TF PDUs of one PDV each, no larger
 * than the peer's Maximum Length (PS3.8 D.1). Messages are queued: the fragments of two messages
 * are never interleaved (PS3.8 E.1). The data set is never copied: each PDU is its 12-byte header
 * followed by a view of the caller's buffer, written together through cork/uncork (one writev).
 */
export class MessageSender {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private maxPdvData: number;
  /** Bytes of command and data set fragments written so far. */
  bytesSent = 0;

  constructor(
    private readonly socket: Duplex,
    peerMaxPduLength = 0,
    maxSendPduLength = DEFAULT_MAX_SEND_PDU_LENGTH,
  ) {
    this.maxPdvData = MessageSender.pdvDataLength(peerMaxPduLength, maxSendPduLength);
  }

  /** Largest PDV data length for a peer Maximum Length (0 = no limit) and our own cap. */
  static pdvDataLength(peerMaxPduLength: number, maxSendPduLength: number): number {
    const pduLength = peerMaxPduLength === 0 ? maxSendPduLength : Math.min(peerMaxPduLength, maxSendPduLength);
    // Fragments have an even length (PS3.8 E.1). A peer announcing room for less than two data
    // bytes per PDV is broken; two bytes still make progress.
    return Math.max(2, (pduLength - PDV_OVERHEAD) & ~1);
  }

  /** Applies the Maximum Length the peer announced during negotiation. */
  setPeerMaxPduLength(peerMaxPduLength: number, maxSendPduLength = DEFAULT_MAX_SEND_PDU_LENGTH): void {
    this.maxPdvData = MessageSender.pdvDataLength(peerMaxPduLength, maxSendPduLength);
  }

  /** Number of messages queued or being written. */
  get queued(): number {
    return this.pending;
  }

  /** Resolves when every queued message has been written (or failed). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.queue;
  }

  /** Queues one message; resolves when all of it has been handed to the socket. */
  send(contextId: number, command: Buffer, dataset?: Buffer | Readable): Promise<void> {
    this.pending++;
    const run = this.queue.then(() => this.write(contextId, command, dataset));
    this.queue = run.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return run;
  }

  private async write(contextId: number, command: Buffer, dataset?: Buffer | Readable): Promise<void> {
    await this.writeBuffer(contextId, PdvControl.Command, command);
    if (dataset === undefined) return;
    if (Buffer.isBuffer(dataset)) await this.writeBuffer(contextId, 0, dataset);
    else await this.writeStream(contextId, dataset);
  }

  private writePdu(contextId: number, control: number, parts: readonly Buffer[], length: number): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) throw closedError();
    const header = pDataHeader(contextId, control, length);
    if (length <= SMALL_PDU) {
      // Commands and small fragments: one copy into one buffer costs less than a writev.
      socket.write(Buffer.concat([header, ...parts], PDATA_HEADER_LENGTH + length));
    } else {
      socket.cork();
      socket.write(header);
      for (const part of parts) socket.write(part);
      socket.uncork();
    }
    this.bytesSent += length;
  }

  private async writeBuffer(contextId: number, type: number, bytes: Buffer): Promise<void> {
    const max = this.maxPdvData;
    let offset = 0;
    do {
      const end = Math.min(offset + max, bytes.length);
      const control = type | (end === bytes.length ? PdvControl.Last : 0);
      this.writePdu(contextId, control, [bytes.subarray(offset, end)], end - offset);
      offset = end;
      if (this.socket.writableNeedDrain) await drained(this.socket);
    } while (offset < bytes.length);
  }

  private async writeStream(contextId: number, stream: Readable): Promise<void> {
    const max = this.maxPdvData;
    let parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      let rest = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      // Only full PDVs go out here: at least one byte stays behind for the last fragment, whose
      // control header must carry the Last bit, which is only known at the end of the stream.
      while (length + rest.length > max) {
        const take = max - length;
        parts.push(rest.subarray(0, take));
        rest = rest.subarray(take);
        this.writePdu(contextId, 0, parts, max);
        parts = [];
        length = 0;
        if (this.socket.writableNeedDrain) await drained(this.socket);
      }
      if (rest.length > 0) {
        parts.push(rest);
        length += rest.length;
      }
    }
    this.writePdu(contextId, PdvControl.Last, parts, length);
    if (this.socket.writableNeedDrain) await drained(this.socket);
  }
}
