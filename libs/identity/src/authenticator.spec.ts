import { createHash } from 'node:crypto';
import type { ApiKeyGrant } from '@pacs/config';
import { Authenticator } from './authenticator';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const keys: ApiKeyGrant[] = [
  {
    name: 'ris-1',
    sha256: sha256('key-of-ris'),
    grants: new Map([['radiology', ['viewer', 'technologist'] as const]]),
  },
  { name: 'auditor', sha256: sha256('key-of-auditor'), grants: new Map([['cardiology', ['auditor'] as const]]) },
];

describe('Authenticator', () => {
  const authenticator = new Authenticator(keys);
  const authenticate = (headers: Record<string, string>) => authenticator.authenticate({ headers, ip: '10.0.0.7' });

  it('finds the key of "Authorization: Bearer" or "X-API-Key" by its SHA-256, with its roles per tenant', async () => {
    const bearer = await authenticate({ authorization: 'Bearer key-of-ris' });
    expect(bearer.ok).toBe(true);
    if (!bearer.ok) return;
    expect(bearer.principal).toMatchObject({ id: 'ris-1', kind: 'api-key', address: '10.0.0.7' });
    expect(bearer.principal.roles('radiology')).toEqual(['viewer', 'technologist']);
    expect(bearer.principal.roles('cardiology')).toEqual([]);
    // A tenant named like an Object.prototype member grants nothing.
    expect(bearer.principal.roles('constructor')).toEqual([]);

    const apiKey = await authenticate({ 'x-api-key': 'key-of-auditor' });
    expect(apiKey.ok && apiKey.principal.id).toBe('auditor');
    expect(await authenticate({ authorization: 'bearer   key-of-auditor ' })).toMatchObject({ ok: true });
    // The Authorization header wins when both are sent.
    expect(await authenticate({ authorization: 'Bearer key-of-ris', 'x-api-key': 'key-of-auditor' })).toMatchObject({
      ok: true,
      principal: { id: 'ris-1' },
    });
    // Without an OIDC provider, a JWT is one more unknown key.
    expect(await authenticate({ authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' })).toEqual({
      ok: false,
      reason: 'unknown key',
    });
  });

  it('says why credentials are refused: missing, unknown key, malformed Authorization header', async () => {
    expect(await authenticate({})).toEqual({ ok: false, reason: 'missing credentials' });
    expect(await authenticate({ 'x-api-key': '  ' })).toEqual({ ok: false, reason: 'missing credentials' });
    expect(await authenticate({ authorization: 'Bearer key-of-someone' })).toEqual({
      ok: false,
      reason: 'unknown key',
    });
    expect(await authenticate({ 'x-api-key': sha256('key-of-ris') })).toEqual({ ok: false, reason: 'unknown key' });
    expect(await authenticate({ authorization: 'Basic cmlzOmtleQ==' })).toEqual({
      ok: false,
      reason: 'malformed Authorization header',
    });
    expect(await authenticate({ authorization: 'Bearer a b' })).toEqual({
      ok: false,
      reason: 'malformed Authorization header',
    });
  });
});
