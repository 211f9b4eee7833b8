import { connect } from 'node:net';
import { DEFAULT_SYSLOG_TIMEOUT_MS, deliverBatch, unbracket, type SyslogTransport } from './syslog-transport';

/** A collector reached over plain TCP. */
export interface TcpSyslogOptions {
  readonly host: string;
  readonly port: number;
  /** Time a batch may take, connection and confirmation included; default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Syslog over TCP with octet-counted frames (RFC 6587 3.4.1), one connection per batch so that
 * the collector's orderly close confirms the batch (see deliverBatch). Unprotected: for a collector
 * on the same host or a trusted network; RFC 5425 (TlsSyslogTransport) elsewhere.
 */
export class TcpSyslogTransport implements SyslogTransport {
  readonly target: string;

  constructor(private readonly options: TcpSyslogOptions) {
    this.target = `tcp://${options.host}:${options.port}`;
  }

  sendBatch(frames: readonly Buffer[]): Promise<void> {
    if (frames.length === 0) return Promise.resolve();
    return deliverBatch(
      () => connect({ host: unbracket(this.options.host), port: this.options.port }),
      'connect',
      frames,
      this.options.timeoutMs ?? DEFAULT_SYSLOG_TIMEOUT_MS,
      this.target,
    );
  }
}
