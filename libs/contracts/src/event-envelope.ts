import { z } from 'zod';

/** Tenant identifier: a department such as `radiology`; lowercase, used in URLs and keys. */
export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a tenant id is 1-63 lowercase letters, digits or dashes');

/** A DICOM UID (PS3.5 9.1): dot-separated numeric components, at most 64 characters. */
export const dicomUidSchema = z
  .string()
  .max(64)
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/, 'a DICOM UID is dot-separated numbers (PS3.5 9.1)');

/** Fields every event carries (ARCHITECTURE.md, Events). */
export const eventEnvelopeSchema = z.object({
  /** Unique per event; consumers deduplicate on it. */
  eventId: z.uuid(),
  tenantId: tenantIdSchema,
  /** When the fact happened, ISO 8601 with offset. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** Shared by every event of one user-level operation (an association, a request). */
  correlationId: z.string().min(1).max(128),
  /** The event or request that directly caused this one; null for an external trigger. */
  causationId: z.string().min(1).max(128).nullable(),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** Key for per-study ordering, scoped by tenant. */
export function studyKey(event: { tenantId: string; studyInstanceUid: string }): string {
  return `${event.tenantId}/${event.studyInstanceUid}`;
}

/** Key for per-tenant ordering (audit). */
export function tenantKey(event: { tenantId: string }): string {
  return event.tenantId;
}
