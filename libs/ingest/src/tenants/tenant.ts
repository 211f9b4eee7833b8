import { isIP } from 'node:net';
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

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * An AE that C-MOVE may send to (the Move Destination (0000,0600) of a C-MOVE-RQ names it by AE
 * title, PS3.4 C.4.2.1.3): where it listens. Unknown keys are refused, so that a misspelt `tls`
 * does not silently send in clear.
 */
export const moveDestinationSchema = z.strictObject({
  aeTitle: aeTitleSchema,
  host: z
    .string()
    .refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), { message: 'expected a host name or an IP address' }),
  port: z.number().int().min(1, 'a port is 1-65535').max(65535, 'a port is 1-65535'),
  /** Connect with DICOM TLS (PS3.15 B.1), with the listener's certificate as client certificate. */
  tls: z.boolean().default(false),
});

/** A C-MOVE destination of a tenant. */
export type MoveDestinationConfig = z.infer<typeof moveDestinationSchema>;

export const tenantSchema = z
  .object({
    id: tenantIdSchema,
    /** Called AE titles that address this tenant over DIMSE; each belongs to one tenant. */
    aeTitles: z.array(aeTitleSchema).min(1),
    /** Calling AE titles allowed to associate; absent means any (the loopback default). */
    allowedCallingAeTitles: z.array(aeTitleSchema).optional(),
    duplicatePolicy: duplicatePolicySchema.default('new-version'),
    /** Where C-MOVE may send this tenant's instances; a Move Destination not listed answers A801. */
    moveDestinations: z.array(moveDestinationSchema).optional(),
  })
  .superRefine((tenant, context) => {
    const seen = new Set<string>();
    tenant.moveDestinations?.forEach((destination, index) => {
      if (seen.has(destination.aeTitle)) {
        context.addIssue({
          code: 'custom',
          path: ['moveDestinations', index, 'aeTitle'],
          message: `move destination "${destination.aeTitle}" is listed twice`,
        });
      }
      seen.add(destination.aeTitle);
    });
  });

/** A department: its AE titles, who may send to it, its duplicate policy and its C-MOVE destinations. */
export type Tenant = z.infer<typeof tenantSchema>;

/** The tenant's C-MOVE destination with this AE title (compared without padding), if listed. */
export function moveDestinationOf(tenant: Tenant, aeTitle: string): MoveDestinationConfig | undefined {
  const wanted = aeTitle.trim();
  return tenant.moveDestinations?.find((destination) => destination.aeTitle === wanted);
}

export const tenantsFileSchema = z.object({ tenants: z.array(tenantSchema).min(1) });
