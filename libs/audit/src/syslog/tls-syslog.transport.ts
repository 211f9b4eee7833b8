import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { DEFAULT_SYSLOG_TIMEOUT_MS, deliverBatch, unbracket, type SyslogTransport } from './syslog-transport';

/** A collector reached over TLS (RFC 5425). PEM strings or buffers. */
export interface TlsSyslogOptions {
  readonly host: string;
  readonly port: number;
  /** Trusted CA certificates of the collector; Node's default CAs when absent. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Our certificate (chain) and key, for mutual authentication. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Name the collector's certificate must carry (and SNI); default `host`. */
  readonly servername?: string;
  /** Refuse a collector whose certificate does not verify; default true (RFC 5425 5.1). */
  readonly rejectUnauthorized?: boolean;
  /** Time a batch may take, handshake and confirmation included; default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Syslog over TLS (RFC 5425): octet-counted frames (4.3) on a TLS connection whose server is
 * authenticated by its certificate, and the client too when `cert` and `key` are given (mutual
 * authentication, 5.1 and 5.2; what DICOM's and IHE ATNA's secure node transport requires).
 *
 * One connection, hence one handshake, per batch, so that the collector's orderly close confirms
 * the batch (see deliverBatch): a few milliseconds of handshake per batch of up to hundreds of
 * messages, which audit volumes afford. `end()` sends the TLS close_notify, then the TCP FIN.
 */
export class TlsSyslogTransport implements SyslogTransport {
  readonly target: string;

  constructor(private readonly options: TlsSyslogOptions) {
    if ((options.cert === undefined) !== (options.key === undefined)) {
      throw new Error('syslog TLS: give both cert and key (mutual authentication), or neither');
    }
    this.target = `tls://${options.host}:${options.port}`;
  }

  sendBatch(frames: readonly Buffer[]): Promise<void> {
    if (frames.length === 0) return Promise.resolve();
    const o = this.options;
    // SNI carries names only (RFC 6066 3): no servername for an address.
    const servername = o.servername ?? (isIP(unbracket(o.host)) === 0 ? o.host : undefined);
    return deliverBatch(
      () =>
        connect({
          host: unbracket(o.host),
          port: o.port,
          ...(servername !== undefined ? { servername } : {}),
          rejectUnauthorized: o.rejectUnauthorized ?? true,
          ...(o.ca !== undefined ? { ca: o.ca as string | Buffer | (string | Buffer)[] } : {}),
          ...(o.cert !== undefined ? { cert: o.cert } : {}),
          ...(o.key !== undefined ? { key: o.key } : {}),
          minVersion: 'TLSv1.2',
        }),
      'secureConnect',
      frames,
      o.timeoutMs ?? DEFAULT_SYSLOG_TIMEOUT_MS,
      this.target,
    );
  }
}
