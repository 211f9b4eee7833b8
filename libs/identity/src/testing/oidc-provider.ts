import { createServer, type Server } from 'node:http';
import type { OidcConfig } from '@pacs/config';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';

/** A signing key of the provider: the private half signs, the public half is in the JWKS. */
interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

/** What a test token says; anything left out gets the provider's defaults. */
export interface TokenClaims extends JWTPayload {
  readonly preferred_username?: string;
  readonly pacs_roles?: readonly string[];
}

export interface SignOptions {
  /** Which of the provider's keys signs (default: the newest). */
  readonly kid?: string;
  /** Sign with a key the provider does not publish (a forgery). */
  readonly foreignKey?: boolean;
  /** Seconds from now until `exp` (default 300; negative: already expired). */
  readonly expiresInS?: number;
}

/**
 * An OpenID Connect provider for tests, on loopback: its discovery document
 * (`/.well-known/openid-configuration`) and its key set (`/jwks`), with real keys (RS256 and
 * ES256) and tokens signed by them, as Keycloak or Entra ID would issue. Counts the key set's
 * fetches, rotates keys, and can stop answering.
 */
export class TestOidcProvider {
  readonly audience = 'pacs';
  private server: Server | undefined;
  private keys: SigningKey[] = [];
  private foreign: SigningKey | undefined;
  private port = 0;
  /** Key set fetches so far. */
  jwksFetches = 0;
  /** 'down': every request answers 503. */
  mode: 'up' | 'down' = 'up';

  get issuer(): string {
    return `http://127.0.0.1:${this.port}/realms/hospital`;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  /** The PACS's settings for this provider, found through its discovery document (the defaults' claims). */
  config(): OidcConfig {
    return {
      issuer: this.issuer,
      audience: this.audience,
      jwksUrl: undefined,
      rolesClaim: 'pacs_roles',
      userClaim: 'preferred_username',
    };
  }

  async start(port = 0): Promise<void> {
    this.keys = [await signingKey('RS256', 'rsa-1')];
    this.foreign = await signingKey('RS256', 'rsa-1');
    this.server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', this.issuer).pathname;
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (this.mode === 'down') return json(503, { error: 'down for maintenance' });
      if (path === '/realms/hospital/.well-known/openid-configuration') {
        return json(200, {
          issuer: this.issuer,
          jwks_uri: this.jwksUrl,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        });
      }
      if (path === '/realms/hospital/jwks') {
        this.jwksFetches += 1;
        return json(200, { keys: this.keys.map((key) => key.jwk) });
      }
      json(404, { error: 'not found' });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Publishes a new key (ES256) beside the old ones; new tokens are signed with it. */
  async rotate(): Promise<string> {
    const key = await signingKey('ES256', `ec-${this.keys.length + 1}`);
    this.keys.push(key);
    return key.kid;
  }

  /** A token of `sub` with the provider's issuer and audience, valid 5 minutes unless told otherwise. */
  async token(claims: TokenClaims, options: SignOptions = {}): Promise<string> {
    const key = options.foreignKey
      ? this.foreign!
      : options.kid
        ? this.keys.find((k) => k.kid === options.kid)!
        : this.keys[this.keys.length - 1]!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, aud: this.audience, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInS ?? 300))
      .sign(key.privateKey);
  }
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

/** Base64url of a JSON object: to hand-craft a token's header or payload. */
export function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
