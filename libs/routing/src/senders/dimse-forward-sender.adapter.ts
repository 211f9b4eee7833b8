import type { ConnectionOptions } from 'node:tls';
import { transferSyntaxOf } from '@pacs/dicom';
import {
  AssociationRejectedError,
  DimseClient,
  DimseError,
  formatStatus,
  silentLogger,
  type DimseAssociation,
  type DimseClientTimeouts,
  type DimseLogger,
} from '@pacs/dimse';
import type { Destination, DimseDestination } from '../destination';
import type { RuleModification } from '../rule-modification';
import { acceptedSyntaxes, chooseRoute, covers, proposeContexts, type ContextProposal } from './dimse-contexts';
import { ForwardError, type ForwardErrorCode } from './forward.errors';
import type { ForwardInstance, ForwardSender, ForwardSession, InstanceKind, SendOutcome } from './forward-sender.port';
import { convertedDataset, messageOf, outgoingCopy, Refusal, storedDataset } from './outgoing-copy';
import { storeStatusVerdict } from './store-status';

/** Options of {@link DimseForwardSender}. */
export interface DimseForwardSenderOptions {
  /** Calling AE Title for destinations that set none (default "PACS"). */
  readonly callingAeTitle?: string;
  /** TLS settings (CA, client certificate and key) for destinations with `tls: true`. */
  readonly tls?: ConnectionOptions;
  /** Timers; defaults: connect 10 s, ARTIM 30 s, C-STORE-RSP 60 s, idle disabled. */
  readonly timeouts?: Partial<DimseClientTimeouts>;
  /** Logger of the DICOM upper layer (pino-compatible); silent by default. */
  readonly logger?: DimseLogger;
}

// A-ASSOCIATE-RJ reasons per source (PS3.8 Table 9-21), for the message an administrator reads.
const REJECT_REASONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    1: 'no reason given',
    2: 'application context name not supported',
    3: 'calling AE title not recognized',
    7: 'called AE title not recognized',
  },
  2: { 1: 'no reason given', 2: 'protocol version not supported' },
  3: { 1: 'temporary congestion', 2: 'local limit exceeded' },
};

const ERROR_CODES: Readonly<Partial<Record<DimseError['code'], ForwardErrorCode>>> = {
  CONNECT_FAILED: 'CONNECTION_FAILED',
  ASSOCIATION_ABORTED: 'CONNECTION_LOST',
  ASSOCIATION_CLOSED: 'CONNECTION_LOST',
  TIMEOUT: 'TIMEOUT',
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  RESOURCE_LIMIT: 'PROTOCOL_ERROR',
};

/** "AE@host:port", how the messages name a DICOM peer. */
function peerName(destination: DimseDestination): string {
  return `${destination.aeTitle}@${destination.host}:${destination.port}`;
}

/**
 * The ForwardError of an upper layer failure. All are retriable: a rejected association (even a
 * "permanent" one, PS3.8 Table 9-21) is the peer's configuration of our AE title, which an
 * administrator fixes; a lost connection, a timeout, an abort pass.
 */
function transportError(error: unknown, destination: DimseDestination, during: string): ForwardError {
  const peer = peerName(destination);
  if (error instanceof AssociationRejectedError) {
    const reason = REJECT_REASONS[error.source]?.[error.reason] ?? `reason ${error.reason}`;
    const kind = error.result === 1 ? 'permanently' : 'transiently';
    return new ForwardError('ASSOCIATION_REJECTED', `${peer} ${kind} rejected the association: ${reason}`, true, {
      cause: error,
    });
  }
  if (error instanceof DimseError) {
    const code = ERROR_CODES[error.code];
    if (code) return new ForwardError(code, `${peer}, ${during}: ${error.message}`, true, { cause: error });
    return new ForwardError('MISUSE', `${peer}, ${during}: ${error.message}`, false, { cause: error });
  }
  return new ForwardError('CONNECTION_LOST', `${peer}, ${during}: ${messageOf(error)}`, true, { cause: error });
}

/** One association to a Storage SCP, renegotiated when an instance needs a context it lacks. */
class DimseForwardSession implements ForwardSession {
  private association: DimseAssociation | undefined;
  private proposal: ContextProposal | undefined;
  private ended = true;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly kinds: InstanceKind[] = [];

  constructor(
    private readonly destination: DimseDestination,
    private readonly options: DimseForwardSenderOptions,
    hint: readonly InstanceKind[],
  ) {
    for (const kind of hint) this.remember(kind, false);
  }

  /** Adds a kind to negotiate for; `first` for the instance at hand (past 128 contexts, the first go). */
  private remember(kind: InstanceKind, first: boolean): void {
    const index = this.kinds.findIndex(
      (k) => k.sopClassUid === kind.sopClassUid && k.transferSyntaxUid === kind.transferSyntaxUid,
    );
    if (index >= 0 && !first) return;
    if (index >= 0) this.kinds.splice(index, 1);
    const copy = { sopClassUid: kind.sopClassUid, transferSyntaxUid: kind.transferSyntaxUid };
    if (first) this.kinds.unshift(copy);
    else this.kinds.push(copy);
  }

  /** Negotiates an association for the kinds seen so far, releasing the previous one. */
  async connect(): Promise<void> {
    await this.dropAssociation();
    const proposal = proposeContexts(this.kinds);
    const destination = this.destination;
    try {
      const association = await DimseClient.connect({
        host: destination.host,
        port: destination.port,
        calledAeTitle: destination.aeTitle,
        callingAeTitle: destination.callingAeTitle ?? this.options.callingAeTitle ?? 'PACS',
        presentationContexts: proposal.contexts,
        ...(destination.tls ? { tls: this.options.tls ?? {} } : {}),
        ...(this.options.timeouts ? { timeouts: this.options.timeouts } : {}),
        logger: this.options.logger ?? silentLogger,
      });
      this.association = association;
      this.proposal = proposal;
      this.ended = false;
      void association.closed.then(() => {
        if (this.association === association) this.ended = true;
      });
    } catch (error) {
      throw transportError(error, destination, 'association request');
    }
  }

  private async dropAssociation(): Promise<void> {
    const association = this.association;
    this.association = undefined;
    this.ended = true;
    if (!association) return;
    try {
      await association.release();
    } catch {
      association.abort();
    }
  }

  send(instance: ForwardInstance, modify?: RuleModification): Promise<SendOutcome> {
    const run = this.queue.then(() => this.sendNow(instance, modify));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(instance: ForwardInstance, modify: RuleModification | undefined): Promise<SendOutcome> {
    if (this.closed) throw new ForwardError('MISUSE', 'send() on a closed forward session', false);
    try {
      return await this.store(instance, modify);
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      throw error;
    }
  }

  private async store(instance: ForwardInstance, modify: RuleModification | undefined): Promise<SendOutcome> {
    const file = await outgoingCopy(instance, modify);
    const { syntax, dataset } = storedDataset(file, instance.sopInstanceUid);
    const kind = { sopClassUid: instance.sopClassUid, transferSyntaxUid: syntax.uid };
    if (this.ended || !this.proposal || !covers(this.proposal, kind)) {
      this.remember(kind, true);
      await this.connect();
    }
    const association = this.association!;
    const accepted = association.info.presentationContexts.values();
    const route = chooseRoute(accepted, instance.sopClassUid, syntax.uid);
    if (!route) throw this.noContext(instance, syntax.uid, association, undefined);

    let bytes = dataset;
    if (route.converted) {
      try {
        bytes = await convertedDataset(file, route.transferSyntaxUid);
      } catch (error) {
        throw this.noContext(instance, syntax.uid, association, error);
      }
    }
    let response;
    try {
      response = await association.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: route.transferSyntaxUid,
        dataset: bytes,
      });
    } catch (error) {
      // The association is in an unknown state: the next send starts a fresh one.
      association.abort();
      this.ended = true;
      throw transportError(error, this.destination, `C-STORE of ${instance.sopInstanceUid}`);
    }
    return this.outcome(instance, response.status, response.command.errorComment, route.transferSyntaxUid);
  }

  private outcome(
    instance: ForwardInstance,
    status: number,
    errorComment: string | undefined,
    transferSyntaxUid: string,
  ): SendOutcome {
    const verdict = storeStatusVerdict(status);
    const peer = peerName(this.destination);
    const comment = errorComment?.trim() ? `: ${errorComment.trim()}` : '';
    switch (verdict.kind) {
      case 'success':
        return { kind: 'confirmed', transferSyntaxUid };
      case 'warning':
        return {
          kind: 'confirmed',
          transferSyntaxUid,
          warning: { code: verdict.code, message: `${verdict.meaning}${comment}`, remoteStatus: status },
        };
      case 'transient':
        throw new ForwardError(
          verdict.code,
          `${peer} answered C-STORE of ${instance.sopInstanceUid} with ${verdict.meaning}${comment}`,
          true,
          { remoteStatus: status },
        );
      case 'refused':
        return {
          kind: 'rejected',
          code: verdict.code,
          message: `${peer} refused ${instance.sopInstanceUid} with status ${formatStatus(status)}, ${verdict.meaning}${comment}`,
          remoteStatus: status,
        };
    }
  }

  private noContext(
    instance: ForwardInstance,
    storedSyntax: string,
    association: DimseAssociation,
    conversionError: unknown,
  ): Refusal {
    const peer = peerName(this.destination);
    const stored = transferSyntaxOf(storedSyntax)?.name ?? storedSyntax;
    const accepted = acceptedSyntaxes(association.info.presentationContexts.values(), instance.sopClassUid);
    const what =
      accepted.length === 0
        ? `accepted no presentation context for SOP class ${instance.sopClassUid}`
        : `accepts SOP class ${instance.sopClassUid} only in ${accepted.join(', ')}`;
    const why =
      conversionError === undefined
        ? `and ${stored} cannot be converted to those here`
        : `and the ${stored} copy could not be converted: ${messageOf(conversionError)}`;
    return new Refusal({
      kind: 'rejected',
      code: 'NO_ACCEPTED_CONTEXT',
      message: `${peer} ${what} (instance ${instance.sopInstanceUid} stored in ${stored}), ${accepted.length === 0 ? 'so it cannot be sent there' : why}`,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.dropAssociation();
  }
}

/**
 * C-STORE SCU (PS3.4 B, PS3.7 9.1.1) to DIMSE destinations. A session holds one association,
 * proposing per SOP class of the hint a context per stored transfer syntax plus Explicit and
 * Implicit VR Little Endian; each instance goes as stored when the peer accepted that syntax, else
 * converted (pixel data decoded) when @pacs/dicom-imaging can read it, else it is rejected with
 * NO_ACCEPTED_CONTEXT. The C-STORE-RSP Status is mapped by storeStatusVerdict.
 */
export class DimseForwardSender implements ForwardSender {
  readonly kind = 'dimse' as const;

  constructor(private readonly options: DimseForwardSenderOptions = {}) {}

  async open(destination: Destination, instancesHint: readonly InstanceKind[]): Promise<ForwardSession> {
    if (destination.kind !== 'dimse') {
      throw new ForwardError('MISUSE', `destination ${destination.id} is ${destination.kind}, not dimse`, false);
    }
    const session = new DimseForwardSession(destination, this.options, instancesHint);
    // With nothing to negotiate for yet, the association waits for the first instance.
    if (instancesHint.length > 0) await session.connect();
    return session;
  }
}
