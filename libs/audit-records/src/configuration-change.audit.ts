import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { URI } from './audit-codes';
import { NETWORK_CONFIGURATION, ROLE_SECURITY_RESOURCE, SECURITY_ALERT, SOFTWARE_CONFIGURATION } from './system-codes';

/** A change of configuration through the API (routing destinations and rules, tenants). */
export interface ConfigurationChange {
  readonly tenantId: string;
  readonly correlationId: string;
  readonly service: string;
  /** network: where data may go (destinations, AE titles); software: how it is processed (rules). */
  readonly kind: 'network' | 'software';
  readonly action: 'C' | 'U' | 'D';
  readonly user: { readonly userId: string; readonly address?: string };
  /** The URL of the item changed. */
  readonly url: string;
  /** What changed, readable (e.g. "destination ORTHANC saved, revision 4"). */
  readonly description: string;
  readonly failure?: string;
}

/**
 * The audit record of a configuration change (PS3.15 A.5.3.11 "Security Alert", EventID 110113,
 * EventTypeCode 110128 "Network Configuration" or 110131 "Software Configuration"): the user who
 * changed it, the item (type 2 system object, role 13 security resource) named by its URL. Outcome
 * 0, or 4 when the change was refused (then nothing changed; the reason is in the description).
 */
export function configurationChangeEvent(change: ConfigurationChange, now: Date): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId: change.tenantId,
    occurredAt: now.toISOString(),
    correlationId: change.correlationId,
    causationId: null,
    event: SECURITY_ALERT,
    eventTypes: [change.kind === 'network' ? NETWORK_CONFIGURATION : SOFTWARE_CONFIGURATION],
    action: change.action,
    outcome: change.failure ? 4 : 0,
    outcomeDescription: change.failure ? `${change.description}: refused: ${change.failure}` : change.description,
    source: change.service,
    participants: [
      {
        userId: change.user.userId,
        isRequestor: true,
        ...(change.user.address ? { networkAccessPoint: change.user.address } : {}),
      },
    ],
    objects: [{ typeCode: '2', role: ROLE_SECURITY_RESOURCE, idType: URI, id: change.url }],
  };
}
