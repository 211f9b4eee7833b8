import type { AuditEvent } from '@pacs/contracts';
import { auditInstantOf } from './audit-store-arguments';

/** ParticipantObjectIDTypeCode of a patient: RFC-3881 Patient Number (PS3.15 A.5.2). */
export const PATIENT_ID_TYPE = '2';
/** ParticipantObjectIDTypeCode of a study: DCM 110180 Study Instance UID (PS3.16 CID 404). */
export const STUDY_UID_TYPE = '110180';

/** What the stores search a record by, copied out of its event when it is appended. */
export interface AuditSearchKeys {
  /** event.occurredAt as toISOString() (UTC): instants compare as strings. */
  readonly occurredAt: string;
  /** event.event.code (EventID). */
  readonly eventCode: string;
  readonly outcome: number;
  /** Ids of the participant objects of type Patient Number, without repeats. */
  readonly patientIds: string[];
  /** Ids of the participant objects of type Study Instance UID, without repeats. */
  readonly studyUids: string[];
  /** userIds of the active participants, without repeats. */
  readonly userIds: string[];
}

/** The search keys of an event (one that checkAuditRecords accepted). */
export function auditSearchKeysOf(event: AuditEvent): AuditSearchKeys {
  const objectIds = (type: string) => [
    ...new Set(event.objects.filter((object) => object.idType.code === type).map((object) => object.id)),
  ];
  return {
    occurredAt: auditInstantOf('event.occurredAt', event.occurredAt),
    eventCode: event.event.code,
    outcome: event.outcome,
    patientIds: objectIds(PATIENT_ID_TYPE),
    studyUids: objectIds(STUDY_UID_TYPE),
    userIds: [...new Set(event.participants.map((participant) => participant.userId))],
  };
}
