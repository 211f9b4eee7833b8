import type { OidcConfig } from '@pacs/config';
import { base64url, TestOidcProvider } from './testing';
import { OidcVerifier, type TokenVerification } from './oidc-verifier';

describe('OidcVerifier', () => {
  const provider = new TestOidcProvider();

  beforeEach(async () => {
    await provider.start();
    provider.mode = 'up';
    provider.jwksFetches = 0;
  });
  afterEach(() => provider.stop());

  const verifier = (overrides: Partial<OidcConfig> = {}) =>
    new OidcVerifier({ ...provider.config(), ...overrides }, { timeoutMs: 2_000, cooldownMs: 0 });
  const refusal = (result: TokenVerification) => (result.ok ? 'accepted' : `${result.kind}: ${result.detail}`);

  it("accepts the provider's token, found through its discovery document: the user and the roles per tenant", async () => {
    const result = await verifier().verify(
      await provider.token({
        sub: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
        preferred_username: 'dr.house',
        pacs_roles: ['radiology:radiologist', 'radiology:viewer', 'cardiology:viewer', 'radiology:viewer'],
      }),
    );
    expect(result).toEqual({
      ok: true,
      verified: {
        user: 'dr.house',
        grants: new Map([
          ['radiology', ['radiologist', 'viewer']],
          ['cardiology', ['viewer']],
        ]),
      },
    });
    expect(provider.jwksFetches).toBe(1);
  });

  it('grants only well-formed <tenant>:<role> entries, and names the user by sub without the user claim', async () => {
    const result = await verifier().verify(
      await provider.token({
        sub: 'user-42',
        pacs_roles: ['radiology:superuser', 'Radiology:viewer', 'oncology', 'a:viewer:x', 'oncology:auditor'],
      }),
    );
    expect(result).toEqual({ ok: true, verified: { user: 'user-42', grants: new Map([['oncology', ['auditor']]]) } });
  });

  it("reads the roles at a dotted path (Keycloak's realm_access.roles), as an array or a space-separated string", async () => {
    const nested = verifier({ rolesClaim: 'realm_access.roles' });
    const asArray = await nested.verify(
      await provider.token({ sub: 'u1', realm_access: { roles: ['offline_access', 'radiology:technologist'] } }),
    );
    expect(asArray.ok && [...asArray.verified.grants]).toEqual([['radiology', ['technologist']]]);
    const asString = await nested.verify(
      await provider.token({ sub: 'u1', realm_access: { roles: 'radiology:viewer cardiology:admin' } }),
    );
    expect(asString.ok && [...asString.verified.grants]).toEqual([
      ['radiology', ['viewer']],
      ['cardiology', ['admin']],
    ]);
  });

  it('refuses expired tokens, and those of another issuer or audience, saying which', async () => {
    const v = verifier();
    expect(refusal(await v.verify(await provider.token({ sub: 'u1' }, { expiresInS: -120 })))).toBe(
      'invalid: the token has expired',
    );
    // Within the 60 s clock tolerance, a token just expired still passes.
    expect((await v.verify(await provider.token({ sub: 'u1' }, { expiresInS: -30 }))).ok).toBe(true);
    expect(
      refusal(await v.verify(await provider.token({ sub: 'u1', nbf: Math.floor(Date.now() / 1000) + 600 }))),
    ).toMatch(/^invalid: "nbf" claim timestamp check failed/);
    expect(
      refusal(await v.verify(await provider.token({ sub: 'u1', iss: 'https://elsewhere.example/realms/x' }))),
    ).toMatch(/^invalid: unexpected "iss" claim value/);
    expect(refusal(await v.verify(await provider.token({ sub: 'u1', aud: 'another-app' })))).toMatch(
      /^invalid: unexpected "aud" claim value/,
    );
    expect(refusal(await v.verify(await provider.token({})))).toBe('invalid: missing required "sub" claim');
  });

  it('refuses forged and altered tokens, unsigned ones and those signed with a shared secret', async () => {
    const v = verifier();
    expect(refusal(await v.verify(await provider.token({ sub: 'u1' }, { foreignKey: true })))).toBe(
      'invalid: the signature does not verify',
    );
    const [header, , signature] = (await provider.token({ sub: 'u1', pacs_roles: ['radiology:viewer'] })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const elevated = base64url({
      iss: provider.issuer,
      aud: provider.audience,
      sub: 'u1',
      exp: now + 300,
      pacs_roles: ['radiology:admin'],
    });
    expect(refusal(await v.verify(`${header}.${elevated}.${signature}`))).toBe(
      'invalid: the signature does not verify',
    );
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${elevated}.`;
    expect(refusal(await v.verify(unsigned))).toMatch(/^invalid: /);
    const hmac = `${base64url({ alg: 'HS256', kid: 'rsa-1' })}.${elevated}.${signature}`;
    expect(refusal(await v.verify(hmac))).toMatch(/^invalid: "alg" \(Algorithm\) Header Parameter value not allowed/);
  });

  it("follows the provider's key rotation: a token signed with a new key makes it fetch the key set again", async () => {
    const v = verifier();
    expect((await v.verify(await provider.token({ sub: 'u1' }))).ok).toBe(true);
    const kid = await provider.rotate();
    expect(await v.verify(await provider.token({ sub: 'u1' }, { kid }))).toMatchObject({ ok: true });
    expect((await v.verify(await provider.token({ sub: 'u1' }, { kid: 'rsa-1' }))).ok).toBe(true);
    expect(provider.jwksFetches).toBe(2);
  });

  it('says "unavailable" while the provider does not answer, and verifies once it is back', async () => {
    const v = verifier();
    const token = await provider.token({ sub: 'u1' });
    provider.mode = 'down';
    expect(refusal(await v.verify(token))).toMatch(
      /^unavailable: cannot read the identity provider's discovery document http:\/\/127\.0\.0\.1:\d+\/realms\/hospital\/\.well-known\/openid-configuration: HTTP 503$/,
    );
    provider.mode = 'up';
    expect((await v.verify(token)).ok).toBe(true);
  });

  it('uses PACS_OIDC_JWKS_URL without discovery, and refuses a discovery document of another issuer', async () => {
    const direct = verifier({ jwksUrl: provider.jwksUrl, issuer: provider.issuer });
    expect((await direct.verify(await provider.token({ sub: 'u1' }))).ok).toBe(true);
    const misnamed = verifier({ issuer: `${provider.issuer}/` });
    expect(refusal(await misnamed.verify(await provider.token({ sub: 'u1', iss: `${provider.issuer}/` })))).toMatch(
      /^unavailable: .* it names the issuer "http:\/\/127\.0\.0\.1:\d+\/realms\/hospital", not http:\/\/127\.0\.0\.1:\d+\/realms\/hospital\/$/,
    );
  });
});
