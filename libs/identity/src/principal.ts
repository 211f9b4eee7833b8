import { ROLES, type ApiKeyGrant, type Role } from '@pacs/config';
import type { VerifiedUser } from './oidc-verifier';

/** Who made a request: the local user, a system by its API key, or a user by its OIDC token. */
export interface Principal {
  /** The key name, the user's name, or `local`: in logs and audit records. */
  readonly id: string;
  readonly kind: 'local' | 'api-key' | 'oidc';
  /** The client's network address, when known. */
  readonly address?: string;
  /** The roles it holds on a tenant; none on a tenant it cannot see. */
  roles(tenantId: string): readonly Role[];
}

/**
 * The local user of local mode (no authentication configured, loopback only: ARCHITECTURE.md,
 * Tenancy and access): every role on every tenant.
 */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  id: 'local',
  kind: 'local' as const,
  roles: (): readonly Role[] => ROLES,
});

/** The local user at the request's address. */
export function localPrincipal(address: string | undefined): Principal {
  return address ? Object.freeze({ ...LOCAL_PRINCIPAL, address }) : LOCAL_PRINCIPAL;
}

/** The system that presented this API key, at the request's address. */
export function apiKeyPrincipal(key: ApiKeyGrant, address: string | undefined): Principal {
  return grantedPrincipal(key.name, 'api-key', key.grants, address);
}

/** The user a verified OIDC bearer token names, at the request's address. */
export function oidcPrincipal(verified: VerifiedUser, address: string | undefined): Principal {
  return grantedPrincipal(verified.user, 'oidc', verified.grants, address);
}

function grantedPrincipal(
  id: string,
  kind: 'api-key' | 'oidc',
  grants: ReadonlyMap<string, readonly Role[]>,
  address: string | undefined,
): Principal {
  return Object.freeze({
    id,
    kind,
    ...(address ? { address } : {}),
    // A Map, not a JSON object: a tenant named like an Object.prototype member grants nothing.
    roles: (tenantId: string): readonly Role[] => grants.get(tenantId) ?? [],
  });
}
