import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { DESTINATION_ROLE, QUERY, ROLE_REPORT, SOP_CLASS_UID, SOURCE_ROLE, URI } from './audit-codes';

/** One query as received, for its audit record. */
export interface AuditedQuery {
  /** The service that answered (AuditSourceIdentification); default `gateway`. */
  readonly service?: string;
  readonly tenantId: string;
  readonly correlationId: string;
  /** Who asked: the calling AE title (DIMSE) or the HTTP client (its address). */
  readonly requestor: { readonly userId: string; readonly address?: string };
  /** Who answered: our called AE title (DIMSE) or the service URL (QIDO-RS). */
  readonly responder: { readonly userId: string };
  /**
   * What was queried: the SOP class of a C-FIND (PS3.15 A.5.3.10 "SOP Queried"), or the URL of a
   * QIDO-RS search, a non-DICOM query (A.5.3.10 Note 2).
   */
  readonly target: { readonly sopClassUid: string } | { readonly url: string };
  /** The query as received: the C-FIND identifier, or the QIDO-RS query string. */
  readonly query: Buffer;
  /** The C-FIND identifier's transfer syntax (A.5.3.10 requires it as ParticipantObjectDetail). */
  readonly transferSyntaxUid?: string;
  /** The query keys, readable (keyword or parameter name → value as given). */
  readonly keys: Readonly<Record<string, string>>;
  /** cancelled: the requestor stopped the answers (C-CANCEL), which is not a failure. */
  readonly outcome: 'success' | 'cancelled' | 'failure';
  /** Why it failed. */
  readonly failure?: string;
}

/**
 * The audit record of a query (PS3.15 A.5.3.10, EventID 110112 "Query", action E): the requestor
 * (Source Role ID) and the responder (Destination Role ID), and the SOP class or URL queried with
 * the query itself. ParticipantObjectQuery is xs:base64Binary in the audit message schema
 * (PS3.15 A.5.1), so `query` holds the bytes in base64; `details` holds the transfer syntax and
 * the keys in readable form. Outcome: 0 success (cancelled included, said in the description), 4
 * when the query was refused or failed (EventOutcomeIndicator, PS3.15 A.5.1).
 */
export function queryAuditEvent(query: AuditedQuery, now: Date): AuditEvent {
  const outcomeDescription =
    query.outcome === 'failure'
      ? (query.failure ?? 'the query failed')
      : query.outcome === 'cancelled'
        ? 'cancelled by the requestor'
        : undefined;
  const object =
    'sopClassUid' in query.target
      ? { idType: SOP_CLASS_UID, id: query.target.sopClassUid }
      : { idType: URI, id: query.target.url };
  return {
    eventId: randomUUID(),
    tenantId: query.tenantId,
    occurredAt: now.toISOString(),
    correlationId: query.correlationId,
    causationId: null,
    event: QUERY,
    action: 'E',
    outcome: query.outcome === 'failure' ? 4 : 0,
    ...(outcomeDescription !== undefined ? { outcomeDescription } : {}),
    source: query.service ?? 'gateway',
    participants: [
      {
        userId: query.requestor.userId,
        isRequestor: true,
        roles: [SOURCE_ROLE],
        ...(query.requestor.address ? { networkAccessPoint: query.requestor.address } : {}),
      },
      { userId: query.responder.userId, isRequestor: false, roles: [DESTINATION_ROLE] },
    ],
    objects: [
      {
        typeCode: '2',
        role: ROLE_REPORT,
        ...object,
        query: query.query.toString('base64'),
        details: {
          ...(query.transferSyntaxUid !== undefined ? { TransferSyntax: query.transferSyntaxUid } : {}),
          ...query.keys,
        },
      },
    ],
  };
}
