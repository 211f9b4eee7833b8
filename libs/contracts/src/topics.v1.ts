import { z } from 'zod';
import { dicomUidSchema, eventEnvelopeSchema, studyKey, tenantKey } from './event-envelope';
import { defineTopic, type TopicDefinition } from './topic-definition';

// The v1 topics of ARCHITECTURE.md. Adding an optional field is compatible; anything else is a
// new version (`.v2`) published beside the old one until every consumer has moved.

const instanceIdentity = {
  studyInstanceUid: dicomUidSchema,
  seriesInstanceUid: dicomUidSchema,
  sopInstanceUid: dicomUidSchema,
};

const blobReference = z.object({
  /** Key in the tier's blob store. */
  key: z.string().min(1),
  tier: z.enum(['hot', 'warm', 'cold']),
  size: z.number().int().nonnegative(),
  /** SHA-256 of the stored bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const instanceSource = z.object({
  protocol: z.enum(['DIMSE', 'STOW-RS']),
  callingAeTitle: z.string().max(16).optional(),
  calledAeTitle: z.string().max(16).optional(),
  remoteAddress: z.string().optional(),
  /** Authenticated client (user or API key) for DICOMweb. */
  clientId: z.string().optional(),
});

/** Gateway → indexer, storage, audit: an instance's bytes are durable in the hot tier. */
export const InstanceStoredV1 = defineTopic(
  'pacs.instance.stored.v1',
  eventEnvelopeSchema.extend({
    ...instanceIdentity,
    sopClassUid: dicomUidSchema,
    transferSyntaxUid: dicomUidSchema,
    /** 1 for the first copy of a SOP Instance UID; a later differing copy is a new version. */
    version: z.number().int().positive(),
    blob: blobReference,
    source: instanceSource,
    /** Index attributes in DICOM JSON (PS3.18 F.2), keyed by tag, without bulk data. */
    attributes: z.record(z.string().regex(/^[0-9A-F]{8}$/), z.unknown()),
  }),
  studyKey,
);
export type InstanceStoredEvent = z.infer<typeof InstanceStoredV1.schema>;

/** Indexer → router, storage: the instance is queryable. */
export const InstanceIndexedV1 = defineTopic(
  'pacs.instance.indexed.v1',
  eventEnvelopeSchema.extend({
    ...instanceIdentity,
    sopClassUid: dicomUidSchema,
    version: z.number().int().positive(),
    patientId: z.string().optional(),
    modality: z.string().optional(),
    /** Where the instance came from (the `instance.stored` source), for the router's rules. */
    source: instanceSource.optional(),
  }),
  studyKey,
);
export type InstanceIndexedEvent = z.infer<typeof InstanceIndexedV1.schema>;

/** Indexer → router, reports: no new instance arrived in the study for the quiet time. */
export const StudyStableV1 = defineTopic(
  'pacs.study.stable.v1',
  eventEnvelopeSchema.extend({
    studyInstanceUid: dicomUidSchema,
    seriesCount: z.number().int().nonnegative(),
    instanceCount: z.number().int().nonnegative(),
    lastInstanceAt: z.iso.datetime({ offset: true }),
  }),
  studyKey,
);
export type StudyStableEvent = z.infer<typeof StudyStableV1.schema>;

/** Storage → indexer, audit: an instance moved between tiers. */
export const InstanceTieredV1 = defineTopic(
  'pacs.instance.tiered.v1',
  eventEnvelopeSchema.extend({
    ...instanceIdentity,
    version: z.number().int().positive(),
    from: blobReference,
    to: blobReference,
  }),
  studyKey,
);
export type InstanceTieredEvent = z.infer<typeof InstanceTieredV1.schema>;

/** Indexer → storage, audit: an instance was deleted (by a user, or by retention). */
export const InstanceDeletedV1 = defineTopic(
  'pacs.instance.deleted.v1',
  eventEnvelopeSchema.extend({
    ...instanceIdentity,
    /** Absent: every version. */
    version: z.number().int().positive().optional(),
    reason: z.enum(['user-request', 'retention', 'rejection-note', 'duplicate-cleanup']),
    deletedBy: z.string().min(1),
  }),
  studyKey,
);
export type InstanceDeletedEvent = z.infer<typeof InstanceDeletedV1.schema>;

/** Reports → router, audit: a report was signed (or amended). */
export const ReportFinalizedV1 = defineTopic(
  'pacs.report.finalized.v1',
  eventEnvelopeSchema.extend({
    reportId: z.string().min(1),
    studyInstanceUid: dicomUidSchema,
    status: z.enum(['final', 'amended']),
    authoredBy: z.string().min(1),
    /** The DICOM SR or encapsulated PDF instance that carries the report, once stored. */
    sopInstanceUid: dicomUidSchema.optional(),
  }),
  studyKey,
);
export type ReportFinalizedEvent = z.infer<typeof ReportFinalizedV1.schema>;

const forwardTarget = {
  jobId: z.string().min(1),
  destinationId: z.string().min(1),
  studyInstanceUid: dicomUidSchema,
  seriesInstanceUid: dicomUidSchema.optional(),
  sopInstanceUid: dicomUidSchema.optional(),
  attempts: z.number().int().positive(),
};

/** Router → audit: the destination confirmed every instance of the job. */
export const ForwardCompletedV1 = defineTopic(
  'pacs.forward.completed.v1',
  eventEnvelopeSchema.extend({ ...forwardTarget, instancesSent: z.number().int().nonnegative() }),
  studyKey,
);
export type ForwardCompletedEvent = z.infer<typeof ForwardCompletedV1.schema>;

/** Router → audit: the job gave up after its retries. */
export const ForwardFailedV1 = defineTopic(
  'pacs.forward.failed.v1',
  eventEnvelopeSchema.extend({
    ...forwardTarget,
    error: z.object({
      code: z.string().min(1),
      message: z.string(),
      /** DIMSE status (PS3.7 C) or HTTP status from the destination, when it answered. */
      remoteStatus: z.number().int().optional(),
    }),
  }),
  studyKey,
);
export type ForwardFailedEvent = z.infer<typeof ForwardFailedV1.schema>;

const codedValue = z.object({
  code: z.string().min(1),
  codingScheme: z.string().min(1),
  meaning: z.string().min(1),
});

/** Every service → audit: one audit record, the content of a PS3.15 A.5 audit message. */
export const AuditEventV1 = defineTopic(
  'pacs.audit.event.v1',
  eventEnvelopeSchema.extend({
    /** EventID, e.g. (110104, DCM, "DICOM Instances Transferred"), PS3.15 A.5.3. */
    event: codedValue,
    eventTypes: z.array(codedValue).optional(),
    /** EventActionCode: Create, Read, Update, Delete, Execute. */
    action: z.enum(['C', 'R', 'U', 'D', 'E']),
    /** EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
    outcome: z.union([z.literal(0), z.literal(4), z.literal(8), z.literal(12)]),
    outcomeDescription: z.string().optional(),
    /** The service that observed the event (AuditSourceIdentification). */
    source: z.string().min(1),
    participants: z.array(
      z.object({
        userId: z.string().min(1),
        userName: z.string().optional(),
        isRequestor: z.boolean(),
        roles: z.array(codedValue).optional(),
        networkAccessPoint: z.string().optional(),
      }),
    ),
    objects: z.array(
      z.object({
        typeCode: z.enum(['1', '2', '3', '4']),
        role: codedValue.optional(),
        idType: codedValue,
        id: z.string().min(1),
        name: z.string().optional(),
        query: z.string().optional(),
        details: z.record(z.string(), z.string()).optional(),
      }),
    ),
  }),
  tenantKey,
);
export type AuditEvent = z.infer<typeof AuditEventV1.schema>;

/** Every v1 topic, for provisioning. */
export const TOPICS_V1: readonly TopicDefinition<unknown>[] = [
  InstanceStoredV1,
  InstanceIndexedV1,
  StudyStableV1,
  InstanceTieredV1,
  InstanceDeletedV1,
  ReportFinalizedV1,
  ForwardCompletedV1,
  ForwardFailedV1,
  AuditEventV1,
] as readonly TopicDefinition<unknown>[];
