import type { Readable } from 'node:stream';
import { isMultipartError, MultipartReader, parseMultipartRelated, type MultipartError } from '@pacs/multipart';
import type { AuditTrail } from '@pacs/audit-records';
import { InstancesTransferredAudit, publishInstancesTransferred } from '../audit/instances-transferred.audit';
import { StoreInstanceError } from '../store/store-instance.errors';
import { StoreInstanceUseCase, type InstanceSource } from '../store/store-instance.use-case';
import type { Tenant } from '../tenants/tenant';
import { stowResponse, type StowOutcome } from './stow-response';

export interface StoreStudiesCommand {
  readonly tenant: Tenant;
  readonly source: InstanceSource;
  readonly correlationId: string;
  /** The request's Content-Type header. */
  readonly contentType: string | undefined;
  readonly body: Readable;
  /** From `/studies/{study}`: every instance must belong to it (else A900 for that instance). */
  readonly studyInstanceUid?: string;
  /** `http://host/dicomweb` or `http://host/tenants/{t}/dicomweb`, for the RetrieveURLs. */
  readonly baseUrl: string;
  /** Largest request body accepted (HTTP 413 beyond). */
  readonly maxBytes: number;
}

/** The HTTP answer of a STOW-RS request. */
export type StoreStudiesResult =
  | {
      readonly kind: 'response';
      readonly status: 200 | 202 | 409;
      readonly body: Record<string, unknown>;
      readonly warnings: readonly string[];
    }
  | {
      readonly kind: 'problem';
      readonly status: 400 | 413 | 415;
      readonly detail: string;
      readonly stored: readonly StowOutcome[];
    };

/**
 * STOW-RS (PS3.18 10.5): reads a `multipart/related; type="application/dicom"` body part by part,
 * never whole, and stores each part with the store use case as it arrives; up to
 * MAX_PARTS_IN_FLIGHT parts finish their store (fsync, event) while the next ones are read. A part that fails is
 * reported in the Failed SOP Sequence; a body that is not valid multipart stops the request with
 * 400 (the part being read is not stored; parts before it are, and the problem says which).
 */
export class StoreStudiesUseCase {
  constructor(
    private readonly storeInstance: StoreInstanceUseCase,
    private readonly auditTrail: AuditTrail,
    /** Audit publication failed after the instances were stored: logged, never answered as a store failure. */
    private readonly onAuditError: (error: unknown) => void = () => undefined,
  ) {}

  async execute(command: StoreStudiesCommand): Promise<StoreStudiesResult> {
    const audit = new InstancesTransferredAudit();
    try {
      const result = await this.storeAll(command, audit);
      // A request refused as a whole (415, 400, 413 before any part) is recorded too: nothing stored.
      if (result.kind === 'problem' && audit.isEmpty)
        audit.recordFailure(`request refused (${result.status}): ${result.detail}`);
      return result;
    } catch (error) {
      if (audit.isEmpty) audit.recordFailure(`request failed: ${(error as Error).message}`);
      throw error;
    } finally {
      await publishInstancesTransferred(
        this.auditTrail,
        audit,
        {
          tenantId: command.tenant.id,
          correlationId: command.correlationId,
          sourceUserId: command.source.clientId ?? command.source.remoteAddress ?? 'unknown',
          ...(command.source.remoteAddress ? { sourceAddress: command.source.remoteAddress } : {}),
          destinationUserId: `${command.baseUrl}/studies`,
        },
        'gateway',
      ).catch(this.onAuditError);
    }
  }

  private async storeAll(command: StoreStudiesCommand, audit: InstancesTransferredAudit): Promise<StoreStudiesResult> {
    let contentType;
    try {
      contentType = parseMultipartRelated(command.contentType, { types: ['application/dicom'] });
    } catch (error) {
      if (isMultipartError(error)) return problem(error, []);
      throw error;
    }
    const reader = new MultipartReader(command.body, contentType, {
      defaultContentType: 'application/dicom',
      limits: { maxHeaderBytes: 16 * 1024, maxParts: 100_000, maxTotalBytes: command.maxBytes },
    });
    // One slot per part, in the order of the body. A part's store goes on (fsync, rename, event)
    // while the next part is read: the reader moves on as soon as a part's bytes are consumed.
    const slots: Promise<PartResult>[] = [];
    const active = new Set<Promise<unknown>>();
    let failure: MultipartError | undefined;
    try {
      for await (const part of reader) {
        const partType = part.contentType?.split(';')[0]?.trim().toLowerCase();
        if (partType !== 'application/dicom') {
          part.skip();
          audit.recordFailure(`part ${part.index} is not application/dicom`);
          slots.push(
            Promise.resolve({
              outcome: {
                stored: false,
                failureReason: 0xc000,
                message: `part ${part.index}: Content-Type ${partType ?? '(none)'} is not application/dicom`,
              },
              warning: `part ${part.index} is ${partType ?? 'untyped'}, not application/dicom`,
            }),
          );
          continue;
        }
        const stored = this.storePart(command, part.index, part.body, audit);
        slots.push(stored);
        const settled = stored.then(noop, noop);
        active.add(settled);
        void settled.then(() => active.delete(settled));
        await Promise.race([closed(part.body), settled]);
        while (active.size >= MAX_PARTS_IN_FLIGHT) await Promise.race(active);
      }
    } catch (error) {
      if (!isMultipartError(error)) {
        await Promise.allSettled(slots);
        throw error;
      }
      failure = error;
    }
    const results = await Promise.allSettled(slots);
    const outcomes: StowOutcome[] = [];
    const warnings: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') {
        outcomes.push(result.value.outcome);
        if (result.value.warning) warnings.push(result.value.warning);
      } else if (isMultipartError(result.reason)) {
        failure ??= result.reason;
      } else {
        throw result.reason;
      }
    }
    if (failure) {
      return problem(
        failure,
        outcomes.filter((o) => o.stored),
      );
    }
    if (outcomes.length === 0) {
      return { kind: 'problem', status: 400, detail: 'the multipart body has no part: nothing to store', stored: [] };
    }
    const studyUrl = command.studyInstanceUid ? `${command.baseUrl}/studies/${command.studyInstanceUid}` : undefined;
    return { kind: 'response', ...stowResponse(outcomes, studyUrl), warnings };
  }

  private async storePart(
    command: StoreStudiesCommand,
    index: number,
    body: Readable,
    audit: InstancesTransferredAudit,
  ): Promise<PartResult> {
    try {
      const stored = await this.storeInstance.execute({
        tenant: command.tenant,
        source: command.source,
        correlationId: command.correlationId,
        ...(command.studyInstanceUid ? { expectedStudyInstanceUid: command.studyInstanceUid } : {}),
        body: { kind: 'part10', stream: body },
      });
      audit.recordStored(stored);
      const outcome: StowOutcome = {
        stored: true,
        sopClassUid: stored.sopClassUid,
        sopInstanceUid: stored.sopInstanceUid,
        retrieveUrl: `${command.baseUrl}/studies/${stored.studyInstanceUid}/series/${stored.seriesInstanceUid}/instances/${stored.sopInstanceUid}`,
      };
      return { outcome };
    } catch (error) {
      // A broken multipart body surfaces here first (the part's stream errors): let it stop the request.
      const cause = (error as { cause?: unknown }).cause;
      if (isMultipartError(cause)) throw cause;
      if (error instanceof StoreInstanceError) {
        audit.recordFailure(error.message);
        const message = `part ${index}: ${error.message}`;
        return { outcome: { stored: false, failureReason: error.failureReason, message }, warning: message };
      }
      throw error;
    }
  }
}

/** What a part came to, and the warning it adds to the response. */
interface PartResult {
  readonly outcome: StowOutcome;
  readonly warning?: string;
}

/** Parts whose store is still running (their bytes read) while the next part is read. */
const MAX_PARTS_IN_FLIGHT = 8;

const noop = (): void => undefined;

/** Resolves when the stream has closed: read to its end, or destroyed. */
function closed(stream: Readable): Promise<void> {
  if (stream.closed || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

function problem(error: MultipartError, stored: readonly StowOutcome[]): StoreStudiesResult {
  const status = error.httpStatus === 413 ? 413 : error.httpStatus === 415 ? 415 : 400;
  const note = stored.length > 0 ? ` (${stored.length} instance(s) before it were stored)` : ' (nothing was stored)';
  return { kind: 'problem', status, detail: `${error.message}${note}`, stored };
}
