import type { Socket } from 'node:net';

/** A syslog collector's connection: delivers batches of framed messages. */
export interface SyslogTransport {
  /** Where it sends, for logs (`tcp://host:port`, `tls://host:port`). */
  readonly target: string;
  /**
   * Sends framed messages (RFC 6587 3.4.1) on a fresh connection and resolves only when the
   * collector confirmed it read them all (see {@link deliverBatch}); rejects otherwise, and the
   * caller sends the whole batch again later.
   */
  sendBatch(frames: readonly Buffer[]): Promise<void>;
}

/** The error of a batch that was not confirmed; always worth retrying. */
export class SyslogDeliveryError extends Error {
  readonly code = 'SYSLOG_NOT_DELIVERED';
  readonly retriable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyslogDeliveryError';
  }
}

/** Default time a batch may take, connection and confirmation included. */
export const DEFAULT_SYSLOG_TIMEOUT_MS = 10_000;
/** Default wait between connecting and writing, for a collector closing at once to show it. */
export const DEFAULT_SYSLOG_SETTLE_MS = 20;

/**
 * Delivers one batch on a socket being opened, and confirms it by an orderly close.
 *
 * Syslog over TCP (RFC 6587) and TLS (RFC 5425) has no acknowledgement, and a write that
 * succeeded only means the bytes reached our kernel: when the collector goes away, what it had not
 * read is lost (Linux discards unread data on close and answers with a reset). So each batch goes
 * on its own connection, which we half-close once everything is written (`end()`: TCP FIN, after
 * the TLS close_notify on TLS). A collector closes its side when it reads the end of the stream
 * (rsyslog's imtcp and socat do), so its FIN, arriving after everything we wrote, means it read
 * it all. The batch counts as delivered only if, after our writes were flushed, the peer ended the
 * stream ('end') and the socket closed without error; an error, a reset, a FIN before our writes
 * were flushed (the collector going away) or the timeout means it was not.
 *
 * One case looks like a confirmation and is not: a collector that closes (FIN) just before our
 * data reaches it answers the data with a reset, but the kernel reports its FIN first and the
 * reset is never seen. Writing `settleMs` after the connection is up catches a collector closing
 * as it accepts; what remains is a collector closing within the transit time of the data.
 * What the collector does with a message after reading it (its queue, its disk) is its own
 * reliability; this confirms reading, as much as syslog allows without RELP.
 */
export function deliverBatch(
  open: () => Socket,
  connectEvent: 'connect' | 'secureConnect',
  frames: readonly Buffer[],
  timeoutMs: number,
  target: string,
  settleMs = DEFAULT_SYSLOG_SETTLE_MS,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let flushed = false;
    let peerEnded = false;
    let socket: Socket | undefined;

    const fail = (reason: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      reject(new SyslogDeliveryError(`syslog batch to ${target} not confirmed: ${reason}`, { cause }));
    };
    const timer = setTimeout(() => fail(`no orderly close within ${timeoutMs} ms`), timeoutMs);

    try {
      socket = open();
    } catch (error) {
      fail('cannot connect', error);
      return;
    }
    const s = socket;
    s.on('error', (error) => fail(error.message, error));
    // The collector sends nothing back; whatever it does send is read and dropped, so that its
    // end of stream can be seen.
    s.on('data', () => undefined);
    s.on('end', () => {
      if (!flushed) {
        fail('the collector closed the connection before it had all the messages');
        return;
      }
      peerEnded = true;
    });
    s.on('close', (hadError) => {
      if (settled) return;
      if (hadError) return fail('connection closed with an error');
      if (!peerEnded) return fail('connection closed without the collector ending the stream');
      settled = true;
      clearTimeout(timer);
      resolve();
    });
    s.once(connectEvent, () => {
      // A collector that closes as it accepts (one shutting down) sends its FIN before our data
      // arrives, then resets the data; but its FIN is read first and looks like a confirmation.
      // Waiting a moment before writing lets that FIN arrive and fail the batch with nothing sent.
      setTimeout(() => {
        if (settled) return;
        for (const frame of frames) s.write(frame);
        // The callback runs ('finish') once every byte and then our FIN are handed to the kernel.
        s.end(() => {
          flushed = true;
        });
      }, settleMs);
    });
  });
}

/** A host as given in a URL: an IPv6 address may come in brackets (RFC 3986 3.2.2). */
export function unbracket(host: string): string {
  return /^\[(.*)\]$/.exec(host)?.[1] ?? host;
}
