import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadIdentityConfig } from './index';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

describe('identity configuration', () => {
  let dir: string;
  let file: string;
  const write = (content: unknown) =>
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  const problems = (env: Record<string, string> = { PACS_API_KEYS_FILE: file }): string[] => {
    try {
      loadIdentityConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-identity-config-'));
    file = join(dir, 'keys.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is local mode without PACS_API_KEYS_FILE, on the default tenant `default`', () => {
    expect(loadIdentityConfig({})).toEqual({ defaultTenantId: 'default', apiKeys: null, oidc: null });
    expect(loadIdentityConfig({ PACS_DEFAULT_TENANT: 'radiology' }).defaultTenantId).toBe('radiology');
    expect(problems({ PACS_DEFAULT_TENANT: 'Radiology' })).toEqual([
      'PACS_DEFAULT_TENANT: a tenant id is 1-63 lowercase letters, digits or dashes (got "Radiology")',
    ]);
  });

  it('reads the keys, their hashes (lowercased) and their roles per tenant', () => {
    const hash = sha256('secret-1').toUpperCase();
    write({
      keys: [
        {
          name: 'ris-1',
          sha256: hash,
          grants: { radiology: ['viewer', 'technologist', 'viewer'], cardiology: ['auditor'] },
        },
        { name: 'admin-script', sha256: sha256('secret-2'), grants: { default: ['admin'] } },
      ],
    });
    const config = loadIdentityConfig({ PACS_API_KEYS_FILE: file });
    expect(config.defaultTenantId).toBe('default');
    expect(config.apiKeys).toHaveLength(2);
    const [ris] = config.apiKeys!;
    expect(ris!.name).toBe('ris-1');
    expect(ris!.sha256).toBe(sha256('secret-1'));
    expect([...ris!.grants]).toEqual([
      ['radiology', ['viewer', 'technologist']],
      ['cardiology', ['auditor']],
    ]);
  });

  it('names the variable and every wrong entry', () => {
    write({
      keys: [
        { name: 'ris-1', sha256: sha256('a'), grants: { radiology: ['viewer'] } },
        { name: 'ris-1', sha256: 'abc', grants: { radiology: [] } },
        { name: 'pacs-2', sha256: sha256('a'), grants: { radiology: ['viewr'], Cardiology: ['viewer'] } },
        { name: 'nothing', sha256: sha256('b'), grants: {} },
      ],
    });
    expect(problems()).toEqual([
      'PACS_API_KEYS_FILE: keys[1].sha256: expected the SHA-256 of the key: 64 hex digits',
      'PACS_API_KEYS_FILE: keys[1].grants.radiology: expected at least one role of viewer, technologist, radiologist, admin, auditor',
      'PACS_API_KEYS_FILE: keys[2].grants.radiology[0]: unknown role "viewr"',
      'PACS_API_KEYS_FILE: keys[2].grants.Cardiology: a tenant id is 1-63 lowercase letters, digits or dashes',
      'PACS_API_KEYS_FILE: keys[3].grants: expected at least one tenant: {"<tenant>": ["<role>", ...]}',
    ]);
    write({
      keys: [
        { name: 'ris-1', sha256: sha256('a'), grants: { radiology: ['viewer'] } },
        { name: 'ris-1', sha256: sha256('b'), grants: { radiology: ['viewer'] } },
        { name: 'ris-2', sha256: sha256('a'), grants: { radiology: ['viewer'] } },
      ],
    });
    expect(problems()).toEqual([
      'PACS_API_KEYS_FILE: keys[1].name: "ris-1" is also the name of keys[0]',
      'PACS_API_KEYS_FILE: keys[2].sha256: the same key as keys[0]',
    ]);
  });

  it('refuses a file that is missing, not JSON, without keys, or of another shape', () => {
    expect(problems()).toEqual([`PACS_API_KEYS_FILE: cannot read ${file}: ENOENT`]);
    write('{"keys": [');
    expect(problems()[0]).toMatch(/^PACS_API_KEYS_FILE: .*keys\.json is not JSON: /);
    write({ keys: [] });
    expect(problems()).toEqual([
      'PACS_API_KEYS_FILE: keys: expected at least one key (without keys, unset PACS_API_KEYS_FILE)',
    ]);
    write([]);
    expect(problems()[0]).toMatch(/^PACS_API_KEYS_FILE: \(file\): /);
    write({ keys: [{ name: '', sha256: sha256('a'), grants: { radiology: ['viewer'] } }] });
    expect(problems()[0]).toMatch(/^PACS_API_KEYS_FILE: keys\[0\]\.name: a key name is/);
  });

  it('reads the OIDC provider: issuer, audience, and the claims of the user and its roles', () => {
    const issuer = 'https://sso.hospital.example/realms/hospital';
    expect(loadIdentityConfig({ PACS_OIDC_ISSUER: issuer, PACS_OIDC_AUDIENCE: 'pacs' }).oidc).toEqual({
      issuer,
      audience: 'pacs',
      jwksUrl: undefined,
      rolesClaim: 'pacs_roles',
      userClaim: 'preferred_username',
    });
    expect(
      loadIdentityConfig({
        PACS_OIDC_ISSUER: 'http://127.0.0.1:8081/realms/test',
        PACS_OIDC_AUDIENCE: 'pacs',
        PACS_OIDC_JWKS_URL: 'http://localhost:8081/realms/test/protocol/openid-connect/certs',
        PACS_OIDC_ROLES_CLAIM: 'realm_access.roles',
        PACS_OIDC_USER_CLAIM: 'email',
      }).oidc,
    ).toMatchObject({
      jwksUrl: 'http://localhost:8081/realms/test/protocol/openid-connect/certs',
      rolesClaim: 'realm_access.roles',
      userClaim: 'email',
    });
  });

  it('refuses an OIDC provider without an audience, over plain HTTP beyond loopback, or parts of one without the issuer', () => {
    expect(problems({ PACS_OIDC_ISSUER: 'https://sso.example/realms/h' })).toEqual([
      'PACS_OIDC_AUDIENCE: required with PACS_OIDC_ISSUER: the audience (client id) the tokens are issued for',
    ]);
    expect(problems({ PACS_OIDC_ISSUER: 'http://sso.example/realms/h', PACS_OIDC_AUDIENCE: 'pacs' })).toEqual([
      'PACS_OIDC_ISSUER: expected an https URL (http only on loopback) (got "http://sso.example/realms/h")',
    ]);
    expect(problems({ PACS_OIDC_AUDIENCE: 'pacs', PACS_OIDC_JWKS_URL: 'https://sso.example/certs' })).toEqual([
      'PACS_OIDC_AUDIENCE: set PACS_OIDC_ISSUER too, or unset this (got "pacs")',
      'PACS_OIDC_JWKS_URL: set PACS_OIDC_ISSUER too, or unset this (got "https://sso.example/certs")',
    ]);
    expect(
      problems({
        PACS_OIDC_ISSUER: 'https://sso.example/h',
        PACS_OIDC_AUDIENCE: 'pacs',
        PACS_OIDC_ROLES_CLAIM: 'a..b',
      }),
    ).toEqual(['PACS_OIDC_ROLES_CLAIM: expected a claim name, or a dotted path (got "a..b")']);
  });
});
