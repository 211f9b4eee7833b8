import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { URI } from './audit-codes';
import { USE_OF_RESTRICTED_FUNCTION } from './security-codes';
import { APPLICATION_ROLE, SECURITY_ALERT } from './system-codes';
import type { SecurityParty } from './user-authenticated.audit';

/** A request refused for want of a permission, as the service that refused it saw it. */
export interface RestrictedFunctionUse {
  /** The service that refused it (AuditSourceIdentification, and the reporting participant). */
  readonly service: string;
  /** The tenant the request was made to. */
  readonly tenantId: string;
  readonly correlationId: string;
  /** The authenticated user or system that made the request. */
  readonly user: SecurityParty;
  /** The URL requested, without its query: the alert subject. */
  readonly url: string;
  /** What was refused and why: the method and route, the roles it needs, the roles held. */
  readonly description: string;
}

/**
 * The audit record of a refused request (PS3.15 A.5.3.11 "Security Alert", EventTypeCode 110132
 * "Use of Restricted Function", action E, outcome 4): the user or system that made it (the
 * requestor, at its network address), the service that refused it (the reporting process,
 * RoleIDCode "Application"), and the URL as the alert subject (ParticipantObjectTypeCode 2, system
 * object; IDTypeCode (12, RFC-3881, "URI")) with the description in its details and as the
 * outcome description.
 */
export function securityAlertEvent(use: RestrictedFunctionUse, now: Date): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: use.tenantId,
    occurredAt: now.toISOString(),
    correlationId: use.correlationId,
    causationId: null,
    event: SECURITY_ALERT,
    eventTypes: [USE_OF_RESTRICTED_FUNCTION],
    action: 'E',
    outcome: 4,
    outcomeDescription: use.description,
    source: use.service,
    participants: [
      {
        userId: use.user.userId || 'unknown',
        isRequestor: true,
        ...(use.user.address ? { networkAccessPoint: use.user.address } : {}),
      },
      { userId: use.service, isRequestor: false, roles: [APPLICATION_ROLE] },
    ],
    objects: [{ typeCode: '2', idType: URI, id: use.url, details: { alert: use.description } }],
  };
}
