import { PduDecodeError } from './dimse.errors';
import { decodeControlPdu } from './pdu-decoder';
import { AbortReason, type ControlPdu, PduType } from './pdu.types';

/** Receives what a {@link PduReader} finds in the byte stream. */
export interface PduReaderSink {
  /** A complete PDU other than P-DATA-TF. */
  onControlPdu(pdu: ControlPdu): void;
  /**
   * Bytes of one PDV of a P-DATA-TF PDU, as they arrive: `data` is a view of the socket chunk (not
   * a copy) and may be only part of the PDV; `pdvEnd` is true on the PDV's last bytes.
   */
  onPdvData(contextId: number, control: number, data: Buffer, pdvEnd: boolean): void;
  /** The stream is not valid upper layer protocol; the reader ignores any further input. */
  onPduError(error: PduDecodeError): void;
}

/** Size limits the reader enforces. */
export interface PduReaderLimits {
  /** Largest P-DATA-TF PDU length field accepted: the Maximum Length we announced (PS3.8 D.1). */
  maxPDataLength: number;
  /** Largest length field of any other PDU; bounds what an association request can make us buffer. */
  maxControlPduLength: number;
}

const enum State {
  PduHeader,
  ControlBody,
  PdvHeader,
  PdvData,
  Stopped,
}

/**
 * Incremental PDU reader (PS3.8 9.3): feed it socket chunks in order with {@link push}. PDUs may
 * be split across chunks and many PDUs may share a chunk. P-DATA-TF PDUs are not assembled: their
 * PDV fragments go to the sink as views of the chunk, so a data set is never copied or held whole
 * here; only the 6-byte headers and control PDUs (bounded by the limits) are buffered. It never
 * throws: a protocol violation goes to the sink's onPduError once and stops the reader.
 */
export class PduReader {
  private state = State.PduHeader;
  private readonly header = Buffer.alloc(6);
  private headerFill = 0;
  private pduType = 0;
  private controlBody: Buffer | undefined;
  private controlFill = 0;
  private controlLength = 0;
  private pduRemaining = 0;
  private pdvRemaining = 0;
  private pdvContext = 0;
  private pdvControl = 0;

  constructor(
    private readonly sink: PduReaderSink,
    /** Mutable: the limits may change after association negotiation. */
    readonly limits: PduReaderLimits,
  ) {}

  /** Stops reading: further input is ignored (after an abort, or when the socket is done). */
  stop(): void {
    this.state = State.Stopped;
  }

  /** Whether the reader is between PDUs (no partial PDU pending). */
  get atPduBoundary(): boolean {
    return this.state === State.PduHeader && this.headerFill === 0;
  }

  /** Consumes one chunk of the byte stream. */
  push(chunk: Buffer): void {
    try {
      this.consume(chunk);
    } catch (error) {
      // A sink callback threw, or a bug here: either way the stream position is lost.
      const failure =
        error instanceof PduDecodeError
          ? error
          : new PduDecodeError(AbortReason.NotSpecified, `PDU handling failed: ${(error as Error)?.message ?? error}`);
      this.fail(failure);
    }
  }

  private fail(error: PduDecodeError): void {
    if (this.state === State.Stopped) return;
    this.state = State.Stopped;
    this.sink.onPduError(error);
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      switch (this.state) {
        case State.Stopped:
          return;
        case State.PduHeader: {
          const n = Math.min(6 - this.headerFill, length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + n);
          this.headerFill += n;
          offset += n;
          if (this.headerFill === 6) {
            this.headerFill = 0;
            this.startPdu();
          }
          break;
        }
        case State.ControlBody: {
          if (this.controlFill === 0 && length - offset >= this.controlLength) {
            // The whole body is in this chunk: decode from a view, no copy.
            const body = chunk.subarray(offset, offset + this.controlLength);
            offset += this.controlLength;
            this.finishControl(body);
            break;
          }
          // Split across chunks: assemble it (bounded by maxControlPduLength).
          this.controlBody ??= Buffer.allocUnsafe(this.controlLength);
          const n = Math.min(this.controlLength - this.controlFill, length - offset);
          chunk.copy(this.controlBody, this.controlFill, offset, offset + n);
          this.controlFill += n;
          offset += n;
          if (this.controlFill === this.controlLength) this.finishControl(this.controlBody);
          break;
        }
        case State.PdvHeader: {
          const n = Math.min(6 - this.headerFill, length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + n);
          this.headerFill += n;
          offset += n;
          if (this.headerFill === 6) {
            this.headerFill = 0;
            this.startPdv();
          }
          break;
        }
        case State.PdvData: {
          const n = Math.min(this.pdvRemaining, length - offset);
          this.pdvRemaining -= n;
          this.pduRemaining -= n;
          const data = chunk.subarray(offset, offset + n);
          offset += n;
          const pdvEnd = this.pdvRemaining === 0;
          this.sink.onPdvData(this.pdvContext, this.pdvControl, data, pdvEnd);
          // The sink may have stopped the reader (abort); then the state must stay Stopped.
          if (pdvEnd && this.state === State.PdvData) this.endPdv();
          break;
        }
      }
    }
  }

  private startPdu(): void {
    const type = this.header[0]!;
    const pduLength = this.header.readUInt32BE(2);
    this.pduType = type;
    if (type === PduType.PDataTf) {
      if (pduLength > this.limits.maxPDataLength) {
        return this.fail(
          new PduDecodeError(
            AbortReason.InvalidPduParameterValue,
            `P-DATA-TF length ${pduLength} exceeds the maximum ${this.limits.maxPDataLength}`,
          ),
        );
      }
      // At least one PDV, and a PDV holds at least its context id and control header.
      if (pduLength < 6) {
        return this.fail(new PduDecodeError(AbortReason.InvalidPduParameterValue, `P-DATA-TF length ${pduLength} < 6`));
      }
      this.pduRemaining = pduLength;
      this.state = State.PdvHeader;
      return;
    }
    if (type < PduType.AssociateRq || type > PduType.Abort) {
      return this.fail(new PduDecodeError(AbortReason.UnrecognizedPdu, `unrecognised PDU type 0x${type.toString(16)}`));
    }
    if (pduLength > this.limits.maxControlPduLength) {
      return this.fail(
        new PduDecodeError(
          AbortReason.InvalidPduParameterValue,
          `PDU type ${type} length ${pduLength} exceeds the maximum ${this.limits.maxControlPduLength}`,
        ),
      );
    }
    if (type !== PduType.AssociateRq && type !== PduType.AssociateAc && pduLength !== 4) {
      return this.fail(
        new PduDecodeError(
          AbortReason.InvalidPduParameterValue,
          `PDU type ${type} with length ${pduLength}, expected 4`,
        ),
      );
    }
    this.controlLength = pduLength;
    this.controlFill = 0;
    this.controlBody = undefined;
    this.state = State.ControlBody;
    if (pduLength === 0) this.finishControl(Buffer.alloc(0));
  }

  private finishControl(body: Buffer): void {
    this.controlBody = undefined;
    this.controlFill = 0;
    this.state = State.PduHeader;
    let pdu: ControlPdu;
    try {
      pdu = decodeControlPdu(this.pduType, body);
    } catch (error) {
      if (error instanceof PduDecodeError) return this.fail(error);
      throw error;
    }
    this.sink.onControlPdu(pdu);
  }

  private startPdv(): void {
    const pdvLength = this.header.readUInt32BE(0);
    this.pdvContext = this.header[4]!;
    this.pdvControl = this.header[5]!;
    // The PDV length counts the context id and control header (PS3.8 9.3.5.1) and must fit in
    // what is left of its PDU.
    if (pdvLength < 2 || pdvLength + 4 > this.pduRemaining) {
      return this.fail(
        new PduDecodeError(
          AbortReason.InvalidPduParameterValue,
          `PDV length ${pdvLength} does not fit in the ${this.pduRemaining} bytes left of its P-DATA-TF PDU`,
        ),
      );
    }
    this.pduRemaining -= 6;
    this.pdvRemaining = pdvLength - 2;
    this.state = State.PdvData;
    if (this.pdvRemaining === 0) {
      this.sink.onPdvData(this.pdvContext, this.pdvControl, Buffer.alloc(0), true);
      if (this.state === State.PdvData) this.endPdv();
    }
  }

  private endPdv(): void {
    if (this.pduRemaining === 0) this.state = State.PduHeader;
    else if (this.pduRemaining < 6) {
      this.fail(
        new PduDecodeError(
          AbortReason.InvalidPduParameterValue,
          `${this.pduRemaining} bytes left in a P-DATA-TF PDU after a PDV, too few for another`,
        ),
      );
    } else this.state = State.PdvHeader;
  }
}
