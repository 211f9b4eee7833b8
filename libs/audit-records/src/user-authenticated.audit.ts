import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { APPLICATION_ROLE, LOGIN, USER_AUTHENTICATED } from './system-codes';

/** A party of a security audit record: a user or system by its id, with its network address. */
export interface SecurityParty {
  /** The key name, `local`, or `unknown` when the credentials named nobody. */
  readonly userId: string;
  /** The client's network address (NetworkAccessPointID), when known. */
  readonly address?: string;
}

/** One authentication, as the service that performed it saw it. */
export interface AuthenticationAttempt {
  /** The service that authenticated (AuditSourceIdentification, and the application participant). */
  readonly service: string;
  /** The tenant the request was made to. */
  readonly tenantId: string;
  readonly correlationId: string;
  /** Who presented the credentials. */
  readonly user: SecurityParty;
  /** Why the credentials were refused; absent when they were accepted. */
  readonly failure?: string;
}

/**
 * The audit record of a login (PS3.15 A.5.3.12 "User Authenticated", EventTypeCode 110122
 * "Login", action E): the user or system that presented its credentials (the requestor, at its
 * network address) and the application that checked them (RoleIDCode "Application"); no
 * participant object. Outcome 0 when accepted, 4 when refused with the reason as the description
 * (EventOutcomeIndicator, PS3.15 A.5.1).
 */
export function userAuthenticatedEvent(attempt: AuthenticationAttempt, now: Date): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: attempt.tenantId,
    occurredAt: now.toISOString(),
    correlationId: attempt.correlationId,
    causationId: null,
    event: USER_AUTHENTICATED,
    eventTypes: [LOGIN],
    action: 'E',
    outcome: attempt.failure === undefined ? 0 : 4,
    ...(attempt.failure !== undefined ? { outcomeDescription: attempt.failure } : {}),
    source: attempt.service,
    participants: [
      {
        userId: attempt.user.userId || 'unknown',
        isRequestor: true,
        ...(attempt.user.address ? { networkAccessPoint: attempt.user.address } : {}),
      },
      { userId: attempt.service, isRequestor: false, roles: [APPLICATION_ROLE] },
    ],
    objects: [],
  };
}
