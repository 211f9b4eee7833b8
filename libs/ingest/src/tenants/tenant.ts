import { tenantIdSchema } from '@pacs/contracts';
import { z } from 'zod';

/** AE title (PS3.5 6.2, VR AE): 1-16 printable characters, no backslash, not only spaces. */
const aeTitleSchema = z
  .string()
  .max(16, 'an AE title has at most 16 characters (PS3.5 6.2)')
  .regex(
    /^[\x20-\x5b\x5d-\x7e]*[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]*$/,
    'an AE title is printable ASCII without backslash, not only spaces',
  )
  .transform((v) => v.trim());

/**
 * What happens when an instance arrives whose SOP Instance UID is already stored with other bytes
 * (identical bytes are always a successful no-op): keep it as a new version (the latest serves
 * reads), or refuse it with status 0111 Duplicate SOP Instance (PS3.7 C.4.2).
 */
export const duplicatePolicySchema = z.enum(['new-version', 'reject']);
export type DuplicatePolicy = z.infer<typeof duplicatePolicySchema>;

export const tenantSchema = z.object({
  id: tenantIdSchema,
  /** Called AE titles that address this tenant over DIMSE; each belongs to one tenant. */
  aeTitles: z.array(aeTitleSchema).min(1),
  /** Calling AE titles allowed to associate; absent means any (the loopback default). */
  allowedCallingAeTitles: z.array(aeTitleSchema).optional(),
  duplicatePolicy: duplicatePolicySchema.default('new-version'),
});

/** A department: its AE titles, who may send to it, and its duplicate policy. */
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantsFileSchema = z.object({ tenants: z.array(tenantSchema).min(1) });
