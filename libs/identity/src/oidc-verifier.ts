import { isSecureOrLoopbackUrl, ROLES, type OidcConfig, type Role } from '@pacs/config';
import { tenantIdSchema } from '@pacs/contracts';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** What a bearer token says once verified: the user and its roles per tenant. */
export interface VerifiedUser {
  /** The user claim (`preferred_username` by default), else `sub`: in logs and audit records. */
  readonly user: string;
  /** Roles per tenant, from the roles claim's `<tenant>:<role>` entries; a tenant it does not name is one it cannot see. */
  readonly grants: ReadonlyMap<string, readonly Role[]>;
}

/**
 * A token refused (`invalid`: expired, another issuer or audience, a bad signature, an algorithm
 * not allowed...: the client must get another token) or not verifiable now (`unavailable`: the
 * provider's keys cannot be fetched: the server's problem, not the client's).
 */
export type TokenVerification =
  | { readonly ok: true; readonly verified: VerifiedUser }
  | { readonly ok: false; readonly kind: 'invalid' | 'unavailable'; readonly detail: string };

/**
 * Asymmetric signatures only (RFC 7518 3.1): a token signed with a shared secret (HS*) or not at
 * all (`none`) is refused whatever its header says, so a public key can never serve as an HMAC
 * secret (algorithm confusion).
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clock skew allowed between the provider and this server when checking `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_S = 60;

// What the client sent is wrong: a 401 with error="invalid_token". Anything else (the key set
// unreachable, malformed or late) is a 503.
const INVALID_TOKEN_CODES = new Set([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/**
 * Verifies the users' bearer tokens (RFC 6750) issued by the hospital's OpenID Connect provider:
 * signed JWTs (RFC 7519) whose signature checks against the provider's published keys (JWKS), with
 * the configured issuer (`iss`) and audience (`aud`), not expired (`exp`, required) and already
 * valid (`nbf`).
 *
 * The keys come from PACS_OIDC_JWKS_URL, else from the `jwks_uri` of the provider's discovery
 * document (OpenID Connect Discovery 1.0, 4), read on the first token and again after a failure.
 * They are cached; a token signed by a key not in the cache makes it fetch the set again (at most
 * every 30 s), so the provider's key rotation needs nothing here.
 */
export class OidcVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  private readonly timeoutMs: number;
  private readonly cooldownMs: number;

  constructor(
    private readonly config: OidcConfig,
    options: {
      /** Bound of each fetch of the discovery document or key set (default 5 s). */
      readonly timeoutMs?: number;
      /** Least time between two fetches of the key set (default 30 s). */
      readonly cooldownMs?: number;
    } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
  }

  async verify(token: string): Promise<TokenVerification> {
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch (error) {
      return { ok: false, kind: 'unavailable', detail: messageOf(error) };
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
      });
      return { ok: true, verified: { user: this.userOf(payload), grants: this.grantsOf(payload) } };
    } catch (error) {
      if (error instanceof errors.JOSEError && INVALID_TOKEN_CODES.has(error.code)) {
        return { ok: false, kind: 'invalid', detail: invalidDetail(error) };
      }
      return {
        ok: false,
        kind: 'unavailable',
        detail: `cannot read the identity provider's signing keys: ${messageOf(error)}`,
      };
    }
  }

  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.jwksUrl().then(
      (url) =>
        createRemoteJWKSet(new URL(url), {
          timeoutDuration: this.timeoutMs,
          cooldownDuration: this.cooldownMs,
          cacheMaxAge: 10 * 60_000,
        }),
      (error: unknown) => {
        this.keys = undefined; // read the discovery document again at the next token
        throw error;
      },
    );
    return this.keys;
  }

  /** PACS_OIDC_JWKS_URL, or the `jwks_uri` of the issuer's discovery document. */
  private async jwksUrl(): Promise<string> {
    if (this.config.jwksUrl) return this.config.jwksUrl;
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const failure = (why: string) => new Error(`cannot read the identity provider's discovery document ${url}: ${why}`);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw failure(messageOf(error));
    }
    if (!response.ok) throw failure(`HTTP ${response.status}`);
    const document = (await response.json().catch(() => undefined)) as
      { issuer?: unknown; jwks_uri?: unknown } | undefined;
    // Discovery 4.3: the document must name the issuer it was fetched for.
    if (document?.issuer !== this.config.issuer) {
      throw failure(`it names the issuer ${JSON.stringify(document?.issuer)}, not ${this.config.issuer}`);
    }
    const jwksUri = document.jwks_uri;
    if (typeof jwksUri !== 'string' || !isSecureOrLoopbackUrl(jwksUri)) {
      throw failure(`no https jwks_uri in it (${JSON.stringify(jwksUri)})`);
    }
    return jwksUri;
  }

  private userOf(payload: JWTPayload): string {
    const named = claimAt(payload, this.config.userClaim);
    return typeof named === 'string' && named.trim() !== '' ? named.trim() : (payload.sub as string);
  }

  /** The `<tenant>:<role>` entries of the roles claim (an array, or a space-separated string); others are ignored. */
  private grantsOf(payload: JWTPayload): ReadonlyMap<string, readonly Role[]> {
    const claim = claimAt(payload, this.config.rolesClaim);
    const entries = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
    const grants = new Map<string, Role[]>();
    for (const entry of entries) {
      if (typeof entry !== 'string') continue;
      const [tenant, role, ...rest] = entry.split(':');
      if (rest.length > 0 || tenant === undefined || !tenantIdSchema.safeParse(tenant).success || !isRole(role)) {
        continue;
      }
      const roles = grants.get(tenant) ?? [];
      if (!roles.includes(role)) roles.push(role);
      grants.set(tenant, roles);
    }
    return grants;
  }
}

/** The value at a dotted path (`realm_access.roles`), own properties only. */
function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isRole(value: string | undefined): value is Role {
  return (ROLES as readonly string[]).includes(value ?? '');
}

function invalidDetail(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'signed with a key the identity provider does not publish';
  return error.message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
