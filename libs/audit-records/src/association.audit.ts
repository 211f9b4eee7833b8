import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { DESTINATION_ROLE, SOURCE_ROLE } from './audit-codes';
import { LOGIN, LOGOUT, USER_AUTHENTICATED } from './system-codes';

/** A DICOM association as the audit trail names it. */
export interface AuditedAssociation {
  readonly tenantId: string;
  readonly correlationId: string;
  /** The service that accepted or refused it. */
  readonly service: string;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly remoteAddress?: string;
}

/** What happened to the association. */
export type AssociationActivity =
  | { readonly kind: 'established' }
  | { readonly kind: 'released' }
  | { readonly kind: 'aborted'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * The audit record of an association: a DICOM node logs on to this PACS when its association is
 * accepted, and off when it is released or aborted; a rejected association is a log-on that
 * failed. PS3.15 A.5.3.12 "User Authenticated" (EventID 110114) with EventTypeCode Login (110122)
 * or Logout (110123), action E; outcome 0, or 4 for a rejection (the reason in the description:
 * e.g. "called AE title not recognized") and for an abort. The calling AE is the requestor (its
 * network address as NetworkAccessPointID), the called AE (this PACS) the other participant.
 */
export function associationEvent(
  association: AuditedAssociation,
  activity: AssociationActivity,
  now: Date,
): AuditEvent {
  const failed = activity.kind === 'rejected' || activity.kind === 'aborted';
  const description =
    activity.kind === 'rejected'
      ? `association rejected: ${activity.reason}`
      : activity.kind === 'aborted'
        ? `association aborted: ${activity.reason}`
        : undefined;
  return {
    eventId: randomUUID(),
    tenantId: association.tenantId,
    occurredAt: now.toISOString(),
    correlationId: association.correlationId,
    causationId: null,
    event: USER_AUTHENTICATED,
    eventTypes: [activity.kind === 'established' || activity.kind === 'rejected' ? LOGIN : LOGOUT],
    action: 'E',
    outcome: failed ? 4 : 0,
    ...(description ? { outcomeDescription: description } : {}),
    source: association.service,
    participants: [
      {
        userId: association.callingAeTitle.trim() || '(empty AE title)',
        isRequestor: true,
        roles: [SOURCE_ROLE],
        ...(association.remoteAddress ? { networkAccessPoint: association.remoteAddress } : {}),
      },
      { userId: association.calledAeTitle.trim() || '(empty AE title)', isRequestor: false, roles: [DESTINATION_ROLE] },
    ],
    objects: [],
  };
}
