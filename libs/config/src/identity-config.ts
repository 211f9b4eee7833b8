import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config.error';
import { tenantIdVar } from './env-types';
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

/** Who may call the HTTP routes. */
export interface IdentityConfig {
  /** The tenant of the routes without `/tenants/{tenant}/` (PACS_DEFAULT_TENANT). */
  readonly defaultTenantId: string;
  /** The API keys; null when no authentication is configured: local mode, loopback only. */
  readonly apiKeys: readonly ApiKeyGrant[] | null;
}

const identityEnvSchema = z.object({
  PACS_DEFAULT_TENANT: tenantIdVar().default('default'),
  PACS_API_KEYS_FILE: z.string().min(1).optional(),
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
 * Reads PACS_DEFAULT_TENANT (`default`) and PACS_API_KEYS_FILE: a JSON file
 * `{"keys": [{"name": "ris-1", "sha256": "<hex SHA-256 of the key>", "grants": {"radiology":
 * ["viewer", "technologist"]}}]}`, read and checked now, at boot. Without the file there is no
 * authentication (apiKeys null: local mode). A ConfigError names the variable and each wrong
 * entry (`PACS_API_KEYS_FILE: keys[2].grants.radiology[0]: unknown role "viewr"`).
 */
export function loadIdentityConfig(env: Env): IdentityConfig {
  const e = parseEnv(identityEnvSchema, env);
  return {
    defaultTenantId: e.PACS_DEFAULT_TENANT,
    apiKeys: e.PACS_API_KEYS_FILE === undefined ? null : readApiKeys(resolve(e.PACS_API_KEYS_FILE)),
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
