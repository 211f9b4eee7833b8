import { randomUUID } from 'node:crypto';
import {
  DESTINATION_ROLE,
  INSTANCES_TRANSFERRED,
  PATIENT_NUMBER,
  ROLE_PATIENT,
  ROLE_REPORT,
  SOURCE_ROLE,
  STUDY_UID,
  type AuditTrail,
} from '@pacs/audit-records';
import type { AuditEvent } from '@pacs/contracts';
import type { StoredInstance } from '../store/store-instance.use-case';

/** Who sent the instances and who received them (the audit message's active participants). */
export interface TransferParties {
  readonly tenantId: string;
  readonly correlationId: string;
  /** The sender: calling AE title (DIMSE) or client id / address (STOW-RS). */
  readonly sourceUserId: string;
  readonly sourceAddress?: string;
  /** The receiver: called AE title (DIMSE) or the STOW-RS URL path. */
  readonly destinationUserId: string;
}

interface StudyTransfer {
  patientId?: string;
  patientName?: string;
  readonly sopClasses: Map<string, number>;
}

/**
 * Collects what one association or STOW-RS request stored, and turns it into the audit records of
 * "DICOM Instances Transferred" (PS3.15 A.5.3, event ID 110104): one per study, with the
 * patient, the study and its SOP classes with instance counts, the sender and the receiver.
 * Outcome: 0 all stored, 4 some failed, 8 none stored (EventOutcomeIndicator, PS3.15 A.5.1).
 */
export class InstancesTransferredAudit {
  private readonly studies = new Map<string, StudyTransfer>();
  private failures = 0;
  private readonly failureReasons = new Set<string>();

  /** Adds an instance stored (duplicates included: they were transferred too). */
  recordStored(instance: StoredInstance): void {
    let study = this.studies.get(instance.studyInstanceUid);
    if (!study) {
      study = { sopClasses: new Map() };
      this.studies.set(instance.studyInstanceUid, study);
    }
    study.patientId ??= instance.patientId;
    study.patientName ??= instance.patientName;
    study.sopClasses.set(instance.sopClassUid, (study.sopClasses.get(instance.sopClassUid) ?? 0) + 1);
  }

  /** Adds an instance that was refused or failed. */
  recordFailure(reason: string): void {
    this.failures++;
    if (this.failureReasons.size < 5) this.failureReasons.add(reason.slice(0, 200));
  }

  /** Whether anything was transferred or attempted. */
  get isEmpty(): boolean {
    return this.studies.size === 0 && this.failures === 0;
  }

  /** The audit events, one per study (or one without a study when nothing was stored). */
  toEvents(parties: TransferParties, source: string, now: Date): AuditEvent[] {
    const stored = [...this.studies.values()].reduce(
      (n, s) => n + [...s.sopClasses.values()].reduce((a, b) => a + b, 0),
      0,
    );
    const outcome = this.failures === 0 ? 0 : stored === 0 ? 8 : 4;
    const outcomeDescription =
      this.failures === 0
        ? undefined
        : `${this.failures} instance(s) not stored: ${[...this.failureReasons].join('; ')}`;
    const base = {
      tenantId: parties.tenantId,
      occurredAt: now.toISOString(),
      correlationId: parties.correlationId,
      causationId: null,
      event: INSTANCES_TRANSFERRED,
      action: 'C' as const,
      outcome: outcome as 0 | 4 | 8,
      ...(outcomeDescription ? { outcomeDescription } : {}),
      source,
      participants: [
        {
          userId: parties.sourceUserId,
          isRequestor: true,
          roles: [SOURCE_ROLE],
          ...(parties.sourceAddress ? { networkAccessPoint: parties.sourceAddress } : {}),
        },
        { userId: parties.destinationUserId, isRequestor: false, roles: [DESTINATION_ROLE] },
      ],
    };
    if (this.studies.size === 0) return [{ eventId: randomUUID(), ...base, objects: [] }];
    return [...this.studies.entries()].map(([studyUid, study]) => ({
      eventId: randomUUID(),
      ...base,
      objects: [
        ...(study.patientId
          ? [
              {
                typeCode: '1' as const,
                role: ROLE_PATIENT,
                idType: PATIENT_NUMBER,
                id: study.patientId,
                ...(study.patientName ? { name: study.patientName } : {}),
              },
            ]
          : []),
        {
          typeCode: '2' as const,
          role: ROLE_REPORT,
          idType: STUDY_UID,
          id: studyUid,
          // ParticipantObjectDescription: the SOP classes with their instance counts (PS3.15 A.5.2.5).
          details: Object.fromEntries([...study.sopClasses].map(([uid, count]) => [`sopClass:${uid}`, String(count)])),
        },
      ],
    }));
  }
}

/** Publishes the transfer's audit events; resolves once they are durable. */
export async function publishInstancesTransferred(
  auditTrail: AuditTrail,
  audit: InstancesTransferredAudit,
  parties: TransferParties,
  source: string,
): Promise<void> {
  if (audit.isEmpty) return;
  await auditTrail.publishDurably(audit.toEvents(parties, source, new Date()));
}
