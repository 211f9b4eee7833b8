import type { AuditEvent } from '@pacs/contracts';
import { queryAuditEvent, type AuditTrail } from '@pacs/audit-records';
import { InstancesSentAudit, type SendingParties } from '@pacs/audit-records';
import { AUDIT_SOURCE } from '../audit/audit-source';
import type { QueryRetrieveActivity, QueryRetrieveAudit } from './query-retrieve-audit.port';

/**
 * The audit records of one Query/Retrieve operation (PS3.15 A.5.3):
 * - C-FIND: "Query" (110112), the calling AE title as requestor, the SOP class of the information
 *   model queried, the identifier as received and its keys;
 * - C-GET, C-MOVE: "DICOM Instances Transferred" (110104) from the sending side (InstancesSentAudit),
 *   one per patient, with the studies and instance counts of what the sub-operations sent; the
 *   destination is the C-GET requestor or the Move Destination (the C-MOVE requestor, when another
 *   AE, is named beside it as requestor). A refused request, or one whose sub-operations all failed,
 *   is one record with outcome 8 naming the studies selected. Nothing is recorded for a retrieve
 *   that selected nothing: no instance was transferred.
 */
export function queryRetrieveAuditEvents(activity: QueryRetrieveActivity, now: Date): AuditEvent[] {
  const requestor = {
    userId: activity.callingAeTitle,
    ...(activity.remoteAddress ? { address: activity.remoteAddress } : {}),
  };
  if (activity.service === 'C-FIND') {
    return [
      queryAuditEvent(
        {
          tenantId: activity.tenantId,
          correlationId: activity.correlationId,
          requestor,
          responder: { userId: activity.calledAeTitle },
          target: { sopClassUid: activity.sopClassUid },
          query: activity.identifier?.bytes ?? Buffer.alloc(0),
          ...(activity.identifier ? { transferSyntaxUid: activity.identifier.transferSyntaxUid } : {}),
          keys: activity.identifier?.keys ?? {},
          outcome: activity.outcome,
          ...(activity.failure !== undefined ? { failure: activity.failure } : {}),
        },
        now,
      ),
    ];
  }
  const audit = new InstancesSentAudit();
  let notAttempted = 0;
  for (const transfer of activity.transfers ?? []) {
    if (transfer.outcome === 'completed' || transfer.outcome === 'warning') audit.recordSent(transfer);
    else if (transfer.outcome === 'failed') audit.recordFailure(transfer.reason ?? 'the sub-operation failed');
    else notAttempted++;
  }
  if (!activity.transfers && activity.outcome === 'failure') {
    audit.recordProblem(`${activity.service} refused: ${activity.failure ?? 'failure'}`);
  } else if (activity.outcome === 'cancelled') {
    audit.recordProblem(`cancelled by the requestor, ${notAttempted} instance(s) not sent`);
  } else if (notAttempted > 0) {
    audit.recordProblem(`${notAttempted} instance(s) not sent: the association ended`);
  }
  if (audit.isEmpty) return [];
  for (const study of activity.studyInstanceUids) audit.recordRequestedStudy(study);
  const us = { userId: activity.calledAeTitle, isRequestor: false };
  const move = activity.service === 'C-MOVE' ? (activity.moveDestination ?? '').trim() : undefined;
  const parties: SendingParties =
    move === undefined || move === activity.callingAeTitle
      ? {
          service: AUDIT_SOURCE,
          tenantId: activity.tenantId,
          correlationId: activity.correlationId,
          source: us,
          destination: { ...requestor, isRequestor: true },
        }
      : {
          service: AUDIT_SOURCE,
          tenantId: activity.tenantId,
          correlationId: activity.correlationId,
          source: us,
          destination: { userId: move || 'unknown', isRequestor: false },
          requestor: { ...requestor, isRequestor: true },
        };
  return audit.toEvents(parties, now);
}

/** The QUERY_RETRIEVE_AUDIT hook bound to the audit trail: records are published in the background. */
export class DimseQueryRetrieveAuditTrail implements QueryRetrieveAudit {
  constructor(
    private readonly trail: AuditTrail,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(activity: QueryRetrieveActivity): void {
    this.trail.publish(queryRetrieveAuditEvents(activity, this.now()));
  }
}
