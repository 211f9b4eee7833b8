import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import {
  DESTINATION_ROLE,
  INSTANCES_TRANSFERRED,
  PATIENT_NUMBER,
  ROLE_PATIENT,
  ROLE_REPORT,
  SOURCE_ROLE,
  STUDY_UID,
} from './audit-codes';

/** An instance a retrieve sent, as the audit record names it. */
export interface SentInstance {
  readonly studyInstanceUid: string;
  readonly sopClassUid: string;
  readonly patientId?: string;
  readonly patientName?: string;
}

/** One participant of a transfer (PS3.15 A.5.3.7 ActiveParticipant). */
export interface TransferParticipant {
  /** AE title (DIMSE), URL (our DICOMweb service) or the HTTP client (its address). */
  readonly userId: string;
  /** Network address, when known. */
  readonly address?: string;
  readonly isRequestor: boolean;
}

/** Who sent, who received, and who asked when that is a third party (C-MOVE). */
export interface SendingParties {
  /** The service that observed the transfer (AuditSourceIdentification): `gateway`, `router`. */
  readonly service: string;
  readonly tenantId: string;
  readonly correlationId: string;
  /** This PACS: our AE title, or the URL of the service that answered. */
  readonly source: TransferParticipant;
  /** Where the instances went: the C-GET requestor, the Move Destination, the HTTP client. */
  readonly destination: TransferParticipant;
  /** The C-MOVE requestor, when it is not the destination. */
  readonly requestor?: TransferParticipant;
}

interface StudyTransfer {
  readonly sopClasses: Map<string, number>;
}

interface PatientTransfer {
  readonly patientId?: string;
  patientName?: string;
  readonly studies: Map<string, StudyTransfer>;
}

/**
 * Collects what one retrieve (C-GET, C-MOVE, WADO-RS, WADO-URI) sent, and turns it into the
 * audit records of "DICOM Instances Transferred" as the sending side sees it (PS3.15 A.5.3.7,
 * EventID 110104): action R, because the sender does not know whether the receiver held the
 * instances before. The message may describe one patient only, so there is one record per patient
 * (a retrieve of one study or patient gives one); each names the patient and its studies, each study
 * with its instance count and its SOP classes with theirs (ParticipantObjectDescription, PS3.15
 * A.5.2.5). Outcome: 0 all sent, 4 some failed or the transfer was
 * cut short, 8 nothing sent (EventOutcomeIndicator, PS3.15 A.5.1).
 */
export class InstancesSentAudit {
  private readonly patients = new Map<string, PatientTransfer>();
  private failures = 0;
  private readonly failureReasons = new Set<string>();
  private problem: string | undefined;
  private readonly requested = new Set<string>();

  /** Adds an instance sent (a success or warning sub-operation, a body part). */
  recordSent(instance: SentInstance): void {
    const id = instance.patientId ?? '';
    let patient = this.patients.get(id);
    if (!patient) {
      patient = { ...(instance.patientId ? { patientId: instance.patientId } : {}), studies: new Map() };
      this.patients.set(id, patient);
    }
    patient.patientName ??= instance.patientName;
    let study = patient.studies.get(instance.studyInstanceUid);
    if (!study) {
      study = { sopClasses: new Map() };
      patient.studies.set(instance.studyInstanceUid, study);
    }
    study.sopClasses.set(instance.sopClassUid, (study.sopClasses.get(instance.sopClassUid) ?? 0) + 1);
  }

  /** Adds an instance that could not be sent. */
  recordFailure(reason: string): void {
    this.failures++;
    if (this.failureReasons.size < 5) this.failureReasons.add(reason.slice(0, 200));
  }

  /** A problem of the retrieve as a whole (refused, cancelled, cut short): said in the outcome. */
  recordProblem(reason: string): void {
    this.problem = reason.slice(0, 300);
  }

  /** A study the request named or selected, for the record of a retrieve that sent nothing. */
  recordRequestedStudy(studyInstanceUid: string): void {
    this.requested.add(studyInstanceUid);
  }

  /** Whether anything was sent, failed or went wrong. */
  get isEmpty(): boolean {
    return this.patients.size === 0 && this.failures === 0 && this.problem === undefined;
  }

  /** The audit records, one per patient (one without a patient when nothing was sent). */
  toEvents(parties: SendingParties, now: Date): AuditEvent[] {
    const sent = [...this.patients.values()].reduce((n, patient) => n + instancesOf(patient), 0);
    const failed = this.failures > 0 || this.problem !== undefined;
    const outcome = sent === 0 ? 8 : failed ? 4 : 0;
    const reasons = [
      ...(this.failures > 0 ? [`${this.failures} instance(s) not sent: ${[...this.failureReasons].join('; ')}`] : []),
      ...(this.problem !== undefined ? [this.problem] : []),
    ];
    const base = {
      tenantId: parties.tenantId,
      occurredAt: now.toISOString(),
      correlationId: parties.correlationId,
      causationId: null,
      event: INSTANCES_TRANSFERRED,
      action: 'R' as const,
      outcome: outcome as 0 | 4 | 8,
      ...(reasons.length > 0 ? { outcomeDescription: reasons.join('; ') } : {}),
      source: parties.service,
      participants: [
        participant(parties.source, SOURCE_ROLE),
        participant(parties.destination, DESTINATION_ROLE),
        ...(parties.requestor ? [participant(parties.requestor)] : []),
      ],
    };
    if (this.patients.size === 0) {
      const objects = [...this.requested].map((id) => ({
        typeCode: '2' as const,
        role: ROLE_REPORT,
        idType: STUDY_UID,
        id,
      }));
      return [{ eventId: randomUUID(), ...base, objects }];
    }
    return [...this.patients.values()].map((patient) => ({
      eventId: randomUUID(),
      ...base,
      objects: [
        ...(patient.patientId
          ? [
              {
                typeCode: '1' as const,
                role: ROLE_PATIENT,
                idType: PATIENT_NUMBER,
                id: patient.patientId,
                ...(patient.patientName ? { name: patient.patientName } : {}),
              },
            ]
          : []),
        ...[...patient.studies.entries()].map(([studyUid, study]) => ({
          typeCode: '2' as const,
          role: ROLE_REPORT,
          idType: STUDY_UID,
          id: studyUid,
          details: {
            instances: String(sum(study.sopClasses.values())),
            ...Object.fromEntries([...study.sopClasses].map(([uid, count]) => [`sopClass:${uid}`, String(count)])),
          },
        })),
      ],
    }));
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function instancesOf(patient: PatientTransfer): number {
  let total = 0;
  for (const study of patient.studies.values()) total += sum(study.sopClasses.values());
  return total;
}

function participant(
  party: TransferParticipant,
  role?: { code: string; codingScheme: string; meaning: string },
): AuditEvent['participants'][number] {
  return {
    userId: party.userId || 'unknown',
    isRequestor: party.isRequestor,
    ...(role ? { roles: [role] } : {}),
    ...(party.address ? { networkAccessPoint: party.address } : {}),
  };
}
