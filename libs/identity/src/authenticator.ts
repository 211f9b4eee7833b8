import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyGrant } from '@pacs/config';
import type { OidcVerifier } from './oidc-verifier';
import { apiKeyPrincipal, oidcPrincipal, type Principal } from './principal';

/**
 * Why a request's credentials were refused (said in the 401 and in the audit record), or could not
 * be checked now (`identity provider unavailable`: a 503).
 */
export type AuthenticationFailure =
  | 'missing credentials'
  | 'unknown key'
  | 'malformed Authorization header'
  | 'invalid token'
  | 'identity provider unavailable';

/** The principal that presented valid credentials, or why there is none. */
export type AuthenticationResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: AuthenticationFailure; readonly detail?: string };

/** What the authenticator reads of a request (a FastifyRequest is one). */
export interface CredentialSource {
  readonly headers: IncomingHttpHeaders;
  readonly ip?: string;
}

const BEARER = /^Bearer +(\S+) *$/i;
/** A JWS in compact serialization (RFC 7515 7.1): three base64url parts. An API key is never one. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Finds who a request's credentials name:
 * - a user, by the OIDC bearer token it presents as `Authorization: Bearer <JWT>` (RFC 6750 2.1),
 *   when an OIDC provider is configured (OidcVerifier);
 * - else a system, by the API key it presents as `Authorization: Bearer <key>` or
 *   `X-API-Key: <key>` (the Authorization header wins when both are sent), among the configured
 *   ones. Only SHA-256 hashes are configured: the presented key's hash is compared with every one
 *   of them in constant time (timingSafeEqual, no early exit), so that the answer's timing tells
 *   nothing about how close a guess was, or which entry matched.
 */
export class Authenticator {
  private readonly keys: readonly { readonly grant: ApiKeyGrant; readonly hash: Buffer }[];

  constructor(
    keys: readonly ApiKeyGrant[],
    private readonly oidc: OidcVerifier | null = null,
  ) {
    this.keys = keys.map((grant) => ({ grant, hash: Buffer.from(grant.sha256, 'hex') }));
  }

  async authenticate(request: CredentialSource): Promise<AuthenticationResult> {
    const presented = presentedKey(request.headers);
    if (!presented.ok) return presented;
    if (this.oidc && COMPACT_JWS.test(presented.key)) {
      const verification = await this.oidc.verify(presented.key);
      if (verification.ok) return { ok: true, principal: oidcPrincipal(verification.verified, request.ip) };
      const reason = verification.kind === 'invalid' ? 'invalid token' : 'identity provider unavailable';
      return { ok: false, reason, detail: verification.detail };
    }
    const hash = createHash('sha256').update(presented.key, 'utf8').digest();
    let match: ApiKeyGrant | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.hash, hash) && match === undefined) match = key.grant;
    }
    return match ? { ok: true, principal: apiKeyPrincipal(match, request.ip) } : { ok: false, reason: 'unknown key' };
  }
}

function presentedKey(
  headers: IncomingHttpHeaders,
): { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: AuthenticationFailure } {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    const bearer = BEARER.exec(authorization);
    return bearer ? { ok: true, key: bearer[1]! } : { ok: false, reason: 'malformed Authorization header' };
  }
  const header = headers['x-api-key'];
  const apiKey = (Array.isArray(header) ? header.join(', ') : (header ?? '')).trim();
  return apiKey === '' ? { ok: false, reason: 'missing credentials' } : { ok: true, key: apiKey };
}
