import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { URI } from './audit-codes';
import { AUDIT_LOG_USED, ROLE_SECURITY_RESOURCE } from './system-codes';

/** A read of a tenant's audit trail (a search, a record, a verification). */
export interface AuditLogRead {
  readonly tenantId: string;
  readonly correlationId: string;
  /** Who read it: the principal, and where from. */
  readonly user: { readonly userId: string; readonly address?: string };
  /** The URL read, with its query (what was asked of the log). */
  readonly url: string;
  readonly failure?: string;
}

/**
 * The audit record of a use of the audit trail itself (PS3.15 A.5.3.2, EventID 110101 "Audit Log
 * Used", action R): the user who read it, and the audit log as participant object (type 2 system
 * object, role 13 security resource) named by the URL read.
 */
export function auditLogUsedEvent(read: AuditLogRead, now: Date): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: read.tenantId,
    occurredAt: now.toISOString(),
    correlationId: read.correlationId,
    causationId: null,
    event: AUDIT_LOG_USED,
    action: 'R',
    outcome: read.failure ? 4 : 0,
    ...(read.failure ? { outcomeDescription: read.failure } : {}),
    source: 'audit',
    participants: [
      {
        userId: read.user.userId,
        isRequestor: true,
        ...(read.user.address ? { networkAccessPoint: read.user.address } : {}),
      },
    ],
    objects: [{ typeCode: '2', role: ROLE_SECURITY_RESOURCE, idType: URI, id: read.url, name: 'audit trail' }],
  };
}
