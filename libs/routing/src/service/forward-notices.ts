import { randomUUID } from 'node:crypto';
import { InstancesSentAudit, type AuditTrail } from '@pacs/audit-records';
import { ForwardCompletedV1, ForwardFailedV1 } from '@pacs/contracts';
import type { EventBus } from '@pacs/event-bus';
import type { ForwardError, ForwardJob } from '@pacs/routing-store';
import type { Destination } from '../destination';

/** An instance the job sent, for its audit record. */
export interface ForwardedInstance {
  readonly studyInstanceUid: string;
  readonly sopClassUid: string;
  readonly patientId?: string;
  readonly patientName?: string;
}

/** What one attempt of a job did, for its audit record. */
export interface AttemptReport {
  readonly sent: readonly ForwardedInstance[];
  readonly rejected: readonly string[];
  readonly problem?: string;
}

/** Where a destination is, as audit records and logs name it. */
export function destinationAddress(destination: Destination): string {
  return destination.kind === 'dimse'
    ? `${destination.aeTitle}@${destination.host}:${destination.port}`
    : destination.stowUrl;
}

/**
 * What the router announces about a job: `forward.completed` or `forward.failed` when it ends,
 * and after every attempt that sent or refused something the audit record of the transfer
 * ("DICOM Instances Transferred", 110104, from the sending side: PS3.15 A.5.3.7), this PACS's
 * AE title as source and the destination as receiver.
 */
export class ForwardNotices {
  constructor(
    private readonly eventBus: Pick<EventBus, 'publish'>,
    private readonly auditTrail: Pick<AuditTrail, 'publishDurably'>,
    private readonly aeTitle: string,
  ) {}

  async completed(job: ForwardJob, confirmed: number, attempts: number): Promise<void> {
    await this.eventBus.publish(ForwardCompletedV1, {
      ...this.envelope(job),
      ...target(job, attempts),
      instancesSent: confirmed,
    });
  }

  async failed(job: ForwardJob, error: ForwardError, attempts: number): Promise<void> {
    await this.eventBus.publish(ForwardFailedV1, {
      ...this.envelope(job),
      ...target(job, attempts),
      error: {
        code: error.code,
        message: error.message,
        ...(error.remoteStatus !== undefined ? { remoteStatus: error.remoteStatus } : {}),
      },
    });
  }

  async audited(job: ForwardJob, destination: Destination | undefined, report: AttemptReport): Promise<void> {
    const audit = new InstancesSentAudit();
    for (const instance of report.sent) audit.recordSent(instance);
    for (const sop of report.rejected) audit.recordFailure(`instance ${sop} refused by the destination`);
    if (report.problem) audit.recordProblem(report.problem);
    if (audit.isEmpty) return;
    audit.recordRequestedStudy(job.scope.studyInstanceUid);
    const events = audit.toEvents(
      {
        service: 'router',
        tenantId: job.tenantId,
        correlationId: job.correlationId,
        source: { userId: this.aeTitle, isRequestor: true },
        destination: {
          userId: destination ? destinationAddress(destination) : job.destinationId,
          isRequestor: false,
        },
      },
      new Date(),
    );
    await this.auditTrail.publishDurably(events);
  }

  private envelope(job: ForwardJob) {
    return {
      eventId: randomUUID(),
      tenantId: job.tenantId,
      occurredAt: new Date().toISOString(),
      correlationId: job.correlationId.slice(0, 128),
      causationId: job.causationId ? job.causationId.slice(0, 128) : null,
    };
  }
}

function target(job: ForwardJob, attempts: number) {
  return {
    jobId: job.jobId,
    destinationId: job.destinationId,
    studyInstanceUid: job.scope.studyInstanceUid,
    ...(job.scope.seriesInstanceUid ? { seriesInstanceUid: job.scope.seriesInstanceUid } : {}),
    ...(job.scope.sopInstanceUid ? { sopInstanceUid: job.scope.sopInstanceUid } : {}),
    attempts: Math.max(1, attempts),
  };
}
