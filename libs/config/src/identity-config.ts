import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config.error';
import { tenantIdVar, urlVar } from './env-types';
import { isSecureOrLoopbackUrl } from './loopback';
import { parseEnv, type Env } from './parse-env';

/** The roles a principal holds per tenant (ARCHITECTURE.md, Tenancy and access). */
export const ROLES = ['viewer', 'technologist', 'radiologist', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** One API key of a system (a RIS, a viewer, a script): known by the SHA-256 of the key only. */
export interface ApiKeyGrant {
  /** The principal's id: in logs and audit records. */
  readonly name: string;
  /** SHA-256 of the key, 64 lowercase hex digits; the key itself is never configured. */
  readonly sha256: string;
  /** Roles per tenant id; a tenant it does not name is one it cannot see. */
  readonly grants: ReadonlyMap<string, readonly Role[]>;
}

/**
 * The OpenID Connect provider whose bearer tokens (signed JWTs, RFC 7519) identify users: the
 * hospital's single sign-on (Keycloak, Entra ID, ...).
 */
export interface OidcConfig {
  /** The provider's issuer identifier: tokens must carry exactly this `iss`. */
  readonly issuer: string;
  /** This PACS as the tokens' audience: `aud` must contain it. */
  readonly audience: string;
  /** Where the provider's signing keys are (JWKS); undefined: the `jwks_uri` of its discovery document. */
  readonly jwksUrl: string | undefined;
  /** Claim (dotted path) holding the user's grants, each `<tenant>:<role>`. */
  readonly rolesClaim: string;
  /** Claim naming the user in logs and audit records (falls back to `sub`). */
  readonly userClaim: string;
}

/** Who may call the HTTP routes. */
export interface IdentityConfig {
  /** The tenant of the routes without `/tenants/{tenant}/` (PACS_DEFAULT_TENANT). */
  readonly defaultTenantId: string;
  /** The API keys of systems; null when none are configured. */
  readonly apiKeys: readonly ApiKeyGrant[] | null;
  /** The users' OIDC provider; null when none is configured. Neither: local mode, loopback only. */
  readonly oidc: OidcConfig | null;
}

// Signing keys fetched over plain HTTP could be replaced on the way: only from this machine.
const providerUrlVar = () =>
  urlVar(['https', 'http']).refine(isSecureOrLoopbackUrl, {
    message: 'expected an https URL (http only on loopback)',
  });
const claimVar = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$/, { message: 'expected a claim name, or a dotted path' })
    .default(fallback);

const identityEnvSchema = z
  .object({
    PACS_DEFAULT_TENANT: tenantIdVar().default('default'),
    PACS_API_KEYS_FILE: z.string().min(1).optional(),
    PACS_OIDC_ISSUER: providerUrlVar().optional(),
    PACS_OIDC_AUDIENCE: z.string().min(1).optional(),
    PACS_OIDC_JWKS_URL: providerUrlVar().optional(),
    PACS_OIDC_ROLES_CLAIM: claimVar('pacs_roles'),
    PACS_OIDC_USER_CLAIM: claimVar('preferred_username'),
  })
  .superRefine((env, ctx) => {
    if (env.PACS_OIDC_ISSUER !== undefined && env.PACS_OIDC_AUDIENCE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PACS_OIDC_AUDIENCE'],
        message: 'required with PACS_OIDC_ISSUER: the audience (client id) the tokens are issued for',
      });
    }
    for (const variable of ['PACS_OIDC_AUDIENCE', 'PACS_OIDC_JWKS_URL'] as const) {
      if (env[variable] !== undefined && env.PACS_OIDC_ISSUER === undefined) {
        ctx.addIssue({ code: 'custom', path: [variable], message: 'set PACS_OIDC_ISSUER too, or unset this' });
      }
    }
  });

const apiKeysFileSchema = z
  .object({
    keys: z
      .array(
        z.object({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, {
            message: 'a key name is 1-128 letters, digits, dots, dashes, underscores or @',
          }),
          sha256: z
            .string()
            .regex(/^[0-9a-fA-F]{64}$/, { message: 'expected the SHA-256 of the key: 64 hex digits' })
            .transform((hash) => hash.toLowerCase()),
          grants: z
            .record(
              tenantIdVar(),
              z
                .array(z.enum(ROLES, { error: (issue) => `unknown role ${JSON.stringify(issue.input)}` }))
                .min(1, { message: `expected at least one role of ${ROLES.join(', ')}` }),
            )
            .refine((grants) => Object.keys(grants).length > 0, {
              message: 'expected at least one tenant: {"<tenant>": ["<role>", ...]}',
            }),
        }),
      )
      .min(1, { message: 'expected at least one key (without keys, unset PACS_API_KEYS_FILE)' }),
  })
  .superRefine((file, ctx) => {
    const names = new Map<string, number>();
    const hashes = new Map<string, number>();
    file.keys.forEach((key, index) => {
      const sameName = names.get(key.name);
      if (sameName !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys', index, 'name'],
          message: `"${key.name}" is also the name of keys[${sameName}]`,
        });
      } else names.set(key.name, index);
      const sameHash = hashes.get(key.sha256);
      if (sameHash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys', index, 'sha256'],
          message: `the same key as keys[${sameHash}]`,
        });
      } else hashes.set(key.sha256, index);
    });
  });

/**
 * Reads PACS_DEFAULT_TENANT (`default`), the OIDC provider (PACS_OIDC_ISSUER, _AUDIENCE,
 * _JWKS_URL, _ROLES_CLAIM, _USER_CLAIM) and PACS_API_KEYS_FILE: a JSON file
 * `{"keys": [{"name": "ris-1", "sha256": "<hex SHA-256 of the key>", "grants": {"radiology":
 * ["viewer", "technologist"]}}]}`, read and checked now, at boot. Without either there is no
 * authentication (local mode). A ConfigError names the variable and each wrong
 * entry (`PACS_API_KEYS_FILE: keys[2].grants.radiology[0]: unknown role "viewr"`).
 */
export function loadIdentityConfig(env: Env): IdentityConfig {
  const e = parseEnv(identityEnvSchema, env);
  return {
    defaultTenantId: e.PACS_DEFAULT_TENANT,
    apiKeys: e.PACS_API_KEYS_FILE === undefined ? null : readApiKeys(resolve(e.PACS_API_KEYS_FILE)),
    oidc:
      e.PACS_OIDC_ISSUER === undefined || e.PACS_OIDC_AUDIENCE === undefined
        ? null
        : {
            issuer: e.PACS_OIDC_ISSUER,
            audience: e.PACS_OIDC_AUDIENCE,
            jwksUrl: e.PACS_OIDC_JWKS_URL,
            rolesClaim: e.PACS_OIDC_ROLES_CLAIM,
            userClaim: e.PACS_OIDC_USER_CLAIM,
          },
  };
}

function readApiKeys(file: string): ApiKeyGrant[] {
  const refuse = (message: string): never => {
    throw new ConfigError([{ variable: 'PACS_API_KEYS_FILE', message }]);
  };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    refuse(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    refuse(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = apiKeysFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: 'PACS_API_KEYS_FILE',
        message: `${pathOf(issue.path)}: ${issue.code === 'invalid_key' ? keyProblem(issue) : issue.message}`,
      })),
    );
  }
  return parsed.data.keys.map((key) => ({
    name: key.name,
    sha256: key.sha256,
    grants: new Map(Object.entries(key.grants).map(([tenant, roles]) => [tenant, [...new Set(roles)]])),
  }));
}

/** `keys[2].grants.radiology[0]`, as the entry is written in the file. */
function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(file)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** A record key refused: its own message (the tenant id rule) rather than zod's "Invalid key". */
function keyProblem(issue: z.core.$ZodIssue): string {
  const inner = (issue as z.core.$ZodIssueInvalidKey).issues[0]?.message;
  return inner ?? issue.message;
}
