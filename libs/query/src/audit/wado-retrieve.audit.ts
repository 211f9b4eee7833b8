import type { FastifyReply, FastifyRequest } from 'fastify';
import { correlationIdOf, httpClient, requestUrl } from '@pacs/identity';
import { type AuditTrail } from '@pacs/audit-records';
import { InstancesSentAudit, type SentInstance } from '@pacs/audit-records';
import { AUDIT_SOURCE } from './audit-source';

/** What a WADO request turned out to name, once its target is resolved. */
export interface WadoAuditTarget {
  readonly tenantId: string;
  readonly studyInstanceUid?: string;
}

/**
 * The audit record of one WADO-RS or WADO-URI request ("DICOM Instances Transferred" from the
 * sending side, PS3.15 A.5.3.7; InstancesSentAudit), written when the response is over (the
 * connection's `close`): the instances whose stored bytes or metadata the answer carried (the
 * catalog tells of each, InstanceCatalog.observed), the HTTP client as destination and requestor,
 * the URL as source. Outcome 0 when the answer was complete, 4 when it was cut short (the client
 * went away, a part failed), 8 for an error status (nothing counts as sent then; the study named is
 * kept). Nothing is recorded for a tenant that does not exist, nor for an answer without instance
 * data (304 Not Modified).
 */
export class WadoRetrieveAudit {
  private target: WadoAuditTarget | undefined;
  private readonly accessed = new Map<string, SentInstance>();

  constructor(
    private readonly trail: AuditTrail,
    private readonly req: FastifyRequest,
    reply: FastifyReply,
    private readonly now: () => Date = () => new Date(),
  ) {
    reply.raw.once('close', () => this.finish(reply.raw.statusCode, reply.raw.writableFinished));
  }

  /** Notes the resolved target (its tenant, the study it names) and hands it back. */
  resolved<T extends WadoAuditTarget>(target: T): T {
    this.target = target;
    return target;
  }

  /** The catalog listener: an instance whose data the answer reads. */
  readonly record = (instance: SentInstance & { readonly sopInstanceUid: string }): void => {
    this.accessed.set(instance.sopInstanceUid, instance);
  };

  private finish(status: number, finished: boolean): void {
    const target = this.target;
    if (!target) return;
    const audit = new InstancesSentAudit();
    if (status >= 400) {
      audit.recordProblem(`answered HTTP ${status}`);
      if (target.studyInstanceUid !== undefined) audit.recordRequestedStudy(target.studyInstanceUid);
    } else {
      for (const instance of this.accessed.values()) audit.recordSent(instance);
      if (this.accessed.size === 0) return;
      if (!finished) audit.recordProblem('the response was cut short');
    }
    const client = httpClient(this.req);
    this.trail.publish(
      audit.toEvents(
        {
          service: AUDIT_SOURCE,
          tenantId: target.tenantId,
          correlationId: correlationIdOf(this.req),
          source: { userId: requestUrl(this.req), isRequestor: false },
          destination: { ...client, isRequestor: true },
        },
        this.now(),
      ),
    );
  }
}
