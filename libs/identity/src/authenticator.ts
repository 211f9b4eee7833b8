import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyGrant } from '@pacs/config';
import { apiKeyPrincipal, type Principal } from './principal';

/** Why a request's credentials were refused (said in the 401 and in the audit record). */
export type AuthenticationFailure = 'missing credentials' | 'unknown key' | 'malformed Authorization header';

/** The principal that presented valid credentials, or why there is none. */
export type AuthenticationResult =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: AuthenticationFailure };

/** What the authenticator reads of a request (a FastifyRequest is one). */
export interface CredentialSource {
  readonly headers: IncomingHttpHeaders;
  readonly ip?: string;
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Finds the API key a request presents, as `Authorization: Bearer <key>` (RFC 6750 2.1) or
 * `X-API-Key: <key>` (the Authorization header wins when both are sent), among the configured
 * ones. Only SHA-256 hashes are configured: the presented key's hash is compared with every one of
 * them in constant time (timingSafeEqual, no early exit), so that the answer's timing tells nothing
 * about how close a guess was, or which entry matched.
 */
export class Authenticator {
  private readonly keys: readonly { readonly grant: ApiKeyGrant; readonly hash: Buffer }[];

  constructor(keys: readonly ApiKeyGrant[]) {
    this.keys = keys.map((grant) => ({ grant, hash: Buffer.from(grant.sha256, 'hex') }));
  }

  authenticate(request: CredentialSource): AuthenticationResult {
    const presented = presentedKey(request.headers);
    if (!presented.ok) return presented;
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
