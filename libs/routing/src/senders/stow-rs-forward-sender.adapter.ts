import { EXPLICIT_VR_LITTLE_ENDIAN } from '@pacs/dicom';
import { transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import { generateBoundary } from '@pacs/multipart';
import type { Destination, DicomWebDestination } from '../destination';
import type { RuleModification } from '../rule-modification';
import { ForwardError } from './forward.errors';
import type { ForwardInstance, ForwardSender, ForwardSession, InstanceKind, SendOutcome } from './forward-sender.port';
import { isConvertible, messageOf, outgoingCopy, Refusal, storedDataset } from './outgoing-copy';
import { stowOutcome, type StowAnswer } from './stow-rs-response';

/** Options of {@link StowRsForwardSender}. */
export interface StowRsForwardSenderOptions {
  /** Longest wait for one request (sending the instance and reading the answer); 120 s by default. */
  readonly timeoutMs?: number;
  /** User-Agent header; "pacs-router". */
  readonly userAgent?: string;
}

const CRLF = '\r\n';

/**
 * A multipart/related body of one application/dicom part (PS3.18 10.5.1.2, RFC 2387): the boundary
 * is 192 random bits, never found in the file by chance.
 */
export function stowBody(part10: Buffer): { contentType: string; body: Buffer } {
  const boundary = generateBoundary();
  return {
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
    body: Buffer.concat([
      Buffer.from(`--${boundary}${CRLF}Content-Type: application/dicom${CRLF}${CRLF}`, 'latin1'),
      part10,
      Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1'),
    ]),
  };
}

// Transport failures that happen after the request went out: the connection broke.
const LOST = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The ForwardError of a fetch that threw (no HTTP answer). All are retriable. */
function fetchError(error: unknown, where: string, closed: boolean): ForwardError {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError')
    return new ForwardError('TIMEOUT', `${where}: no answer in time`, true, { cause: error });
  if (name === 'AbortError' || closed) {
    return new ForwardError('CONNECTION_LOST', `${where}: the session was closed during the request`, true, {
      cause: error,
    });
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const detail = [code, typeof cause?.message === 'string' ? cause.message : messageOf(error)].filter(Boolean);
  const lost = code !== undefined && LOST.has(code);
  return new ForwardError(lost ? 'CONNECTION_LOST' : 'CONNECTION_FAILED', `${where}: ${detail.join(' ')}`, true, {
    cause: error,
  });
}

/** HTTP requests to one STOW-RS service; fetch keeps the connections alive between them. */
class StowRsForwardSession implements ForwardSession {
  private readonly controller = new AbortController();
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** How messages name the service: its URL (which holds no credentials, see destination.ts). */
  private readonly where: string;

  constructor(
    private readonly destination: DicomWebDestination,
    private readonly options: StowRsForwardSenderOptions,
  ) {
    this.where = `STOW-RS ${destination.stowUrl}`;
  }

  send(instance: ForwardInstance, modify?: RuleModification): Promise<SendOutcome> {
    const run = this.queue.then(() => this.sendNow(instance, modify));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(instance: ForwardInstance, modify: RuleModification | undefined): Promise<SendOutcome> {
    if (this.closed) throw new ForwardError('MISUSE', 'send() on a closed forward session', false);
    try {
      const file = await outgoingCopy(instance, modify);
      const { syntax } = storedDataset(file, instance.sopInstanceUid);
      const outcome = await this.post(instance, file, syntax.uid);
      // Referenced Transfer Syntax not supported (PS3.18 Table 10.5.3-1): as over DIMSE, the copy
      // goes again in Explicit VR Little Endian, the syntax every origin server takes (PS3.18 8.7.3.5.2).
      if (
        outcome.kind === 'rejected' &&
        outcome.remoteStatus === 0xc122 &&
        syntax.uid !== EXPLICIT_VR_LITTLE_ENDIAN.uid &&
        isConvertible(syntax.uid)
      ) {
        let converted: Buffer;
        try {
          converted = await transcodeToExplicitVrLittleEndian(file);
        } catch (error) {
          return { ...outcome, message: `${outcome.message}; the copy could not be converted: ${messageOf(error)}` };
        }
        return await this.post(instance, converted, EXPLICIT_VR_LITTLE_ENDIAN.uid);
      }
      return outcome;
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
  }

  private async post(instance: ForwardInstance, part10: Buffer, transferSyntaxUid: string): Promise<SendOutcome> {
    const { contentType, body } = stowBody(part10);
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.options.timeoutMs ?? 120_000)]);
    let answer: StowAnswer;
    try {
      const response = await fetch(this.destination.stowUrl, {
        method: 'POST',
        headers: {
          ...this.destination.headers,
          'Content-Type': contentType,
          Accept: 'application/dicom+json',
          'User-Agent': this.options.userAgent ?? 'pacs-router',
        },
        body,
        // A redirected POST would be sent again to an address nobody configured (with the
        // Authorization header): refused, the administrator sets the final URL.
        redirect: 'manual',
        signal,
      });
      answer = {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        location: response.headers.get('location'),
        retryAfter: response.headers.get('retry-after'),
        body: Buffer.from(await response.arrayBuffer()),
      };
    } catch (error) {
      throw fetchError(error, this.where, this.closed);
    }
    return stowOutcome(answer, instance.sopInstanceUid, transferSyntaxUid, this.where);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort();
    await this.queue;
  }
}

/**
 * STOW-RS client (PS3.18 10.5) to DICOMweb destinations: one POST per instance, a multipart/related
 * body of one application/dicom part (the stored file, or its modified copy), the destination's
 * headers, Accept application/dicom+json. The answer is mapped by stowOutcome. An instance the
 * server refuses with Failure Reason C122 goes again in Explicit VR Little Endian when it can be
 * converted.
 */
export class StowRsForwardSender implements ForwardSender {
  readonly kind = 'dicomweb' as const;

  constructor(private readonly options: StowRsForwardSenderOptions = {}) {}

  async open(destination: Destination, _instancesHint: readonly InstanceKind[]): Promise<ForwardSession> {
    if (destination.kind !== 'dicomweb') {
      throw new ForwardError('MISUSE', `destination ${destination.id} is ${destination.kind}, not dicomweb`, false);
    }
    return new StowRsForwardSession(destination, this.options);
  }
}
