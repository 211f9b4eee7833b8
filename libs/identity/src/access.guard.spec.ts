import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Controller, Get, Module, Param, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditTrail } from '@pacs/audit-records';
import type { IdentityConfig } from '@pacs/config';
import { AuditEventV1, type AuditEvent } from '@pacs/contracts';
import { LOGGER } from '@pacs/observability';
import type { FastifyRequest } from 'fastify';
import { Access, accessRuleOf, CurrentPrincipal, principalOf, PublicRoute } from './access.decorators';
import { TestOidcProvider } from './testing';
import { identityProviders } from './identity-providers';
import type { Principal } from './principal';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

@Controller()
@Access('viewer', 'radiologist')
class StudiesController {
  @Get(['dicomweb/studies', 'tenants/:tenant/dicomweb/studies'])
  search(@Req() request: FastifyRequest, @CurrentPrincipal() principal: Principal) {
    return { principal: principal.id, same: principalOf(request) === principal };
  }

  @Post(['dicomweb/studies', 'tenants/:tenant/dicomweb/studies'])
  @Access('technologist')
  store(@Param('tenant') tenant?: string) {
    return { stored: tenant ?? 'default' };
  }
}

@Controller()
class OpsController {
  @Get('health/live')
  @PublicRoute()
  live() {
    return { status: 'ok' };
  }

  @Get('tenants/:tenant/undeclared')
  undeclared() {
    return { ok: true };
  }
}

describe('AccessGuard', () => {
  let app: NestFastifyApplication;
  let events: AuditEvent[];
  let warnings: { context: unknown; message: string }[];

  async function start(identity: IdentityConfig): Promise<void> {
    events = [];
    warnings = [];
    const audit = { publish: (published: readonly AuditEvent[]) => events.push(...published) };
    const logger = {
      warn: (context: unknown, message: string) => warnings.push({ context, message }),
      info: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    };
    @Module({
      controllers: [StudiesController, OpsController],
      providers: [
        { provide: AuditTrail, useValue: audit },
        { provide: LOGGER, useValue: logger },
        ...identityProviders(identity, 'test-service'),
      ],
    })
    class TestModule {}
    app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...headers } });

  it('declares the routes: handler rule over controller rule, undeclared undefined', () => {
    expect(accessRuleOf(StudiesController.prototype.search, StudiesController)).toEqual({
      kind: 'roles',
      roles: ['viewer', 'radiologist'],
    });
    expect(accessRuleOf(StudiesController.prototype.store, StudiesController)).toEqual({
      kind: 'roles',
      roles: ['technologist'],
    });
    expect(accessRuleOf(OpsController.prototype.live, OpsController)).toEqual({ kind: 'public' });
    expect(accessRuleOf(OpsController.prototype.undeclared, OpsController)).toBeUndefined();
  });

  it('lets everything in as the local user in local mode, and audits nothing', async () => {
    await start({ defaultTenantId: 'default', apiKeys: null, oidc: null });
    const search = await get('/tenants/any/dicomweb/studies');
    expect(search.statusCode).toBe(200);
    expect(search.json()).toEqual({ principal: 'local', same: true });
    expect((await app.inject({ method: 'POST', url: '/dicomweb/studies' })).statusCode).toBe(201);
    expect((await get('/tenants/any/undeclared')).statusCode).toBe(200);
    expect((await get('/health/live')).statusCode).toBe(200);
    expect(events).toEqual([]);
  });

  describe('with API keys', () => {
    beforeEach(() =>
      start({
        defaultTenantId: 'default',
        apiKeys: [
          {
            name: 'viewer-1',
            sha256: sha256('viewer-key'),
            grants: new Map([
              ['default', ['viewer'] as const],
              ['radiology', ['viewer', 'technologist'] as const],
            ]),
          },
          { name: 'auditor-1', sha256: sha256('auditor-key'), grants: new Map([['radiology', ['auditor'] as const]]) },
          { name: 'admin-1', sha256: sha256('admin-key'), grants: new Map([['radiology', ['admin'] as const]]) },
        ],
        oidc: null,
      }),
    );

    it('answers 401 with a Bearer challenge without or with a wrong key, and audits the failed login', async () => {
      const missing = await get('/dicomweb/studies');
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="pacs"');
      expect(missing.json()).toMatchObject({
        message: expect.stringMatching(/^missing credentials: send the OIDC access token or the API key/),
      });

      const wrong = await get('/tenants/radiology/dicomweb/studies', { 'x-api-key': 'guess' });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="pacs", error="invalid_token"');
      expect(wrong.json()).toMatchObject({ message: expect.stringMatching(/^unknown key/) });

      const malformed = await get('/dicomweb/studies', { authorization: 'Basic dXNlcjpwdw==' });
      expect(malformed.statusCode).toBe(401);
      expect(malformed.headers['www-authenticate']).toBe('Bearer realm="pacs", error="invalid_request"');

      for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
      expect(events).toMatchObject([
        {
          tenantId: 'default',
          event: { code: '110114' },
          eventTypes: [{ code: '110122' }],
          outcome: 4,
          outcomeDescription: 'missing credentials',
          source: 'test-service',
          participants: [
            { userId: 'unknown', isRequestor: true, networkAccessPoint: '127.0.0.1' },
            { userId: 'test-service', isRequestor: false },
          ],
        },
        { tenantId: 'radiology', outcome: 4, outcomeDescription: 'unknown key' },
        { tenantId: 'default', outcome: 4, outcomeDescription: 'malformed Authorization header' },
      ]);
    });

    it('answers 404 like an unknown tenant when the key has no role on the tenant, with a Security Alert', async () => {
      const other = await get('/tenants/cardiology/dicomweb/studies', { authorization: 'Bearer viewer-key' });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toMatchObject({ message: 'no tenant "cardiology"' });
      // A malformed tenant id: the same answer; the record goes to the default tenant.
      const malformed = await get('/tenants/Not_A_Tenant/dicomweb/studies', { authorization: 'Bearer viewer-key' });
      expect(malformed.statusCode).toBe(404);
      for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
      expect(events).toMatchObject([
        {
          tenantId: 'cardiology',
          event: { code: '110113' },
          eventTypes: [{ code: '110132' }],
          outcome: 4,
          outcomeDescription: 'GET /tenants/cardiology/dicomweb/studies: viewer-1 has no role on tenant "cardiology"',
          participants: [{ userId: 'viewer-1', networkAccessPoint: '127.0.0.1' }, { userId: 'test-service' }],
          objects: [
            { typeCode: '2', idType: { code: '12' }, id: 'http://localhost:80/tenants/cardiology/dicomweb/studies' },
          ],
        },
        { tenantId: 'default', event: { code: '110113' } },
      ]);
    });

    it('answers 403 naming the roles required when the key has other roles on the tenant', async () => {
      const store = await app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { authorization: 'Bearer viewer-key', 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(store.statusCode).toBe(403);
      expect(store.json()).toMatchObject({
        message: 'POST /dicomweb/studies needs one of the roles technologist on tenant "default"',
      });
      // The body was not read: the connection is not kept.
      expect(store.headers['connection']).toBe('close');
      const auditor = await get('/tenants/radiology/dicomweb/studies', { 'x-api-key': 'auditor-key' });
      expect(auditor.statusCode).toBe(403);
      expect(auditor.json()).toMatchObject({
        message:
          'GET /tenants/radiology/dicomweb/studies needs one of the roles viewer, radiologist on tenant "radiology"',
      });
      const alerts = events.filter((event) => event.event.code === '110113');
      for (const event of alerts) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
      expect(alerts).toMatchObject([
        {
          tenantId: 'default',
          outcomeDescription:
            'POST /dicomweb/studies needs one of the roles technologist on tenant "default"; viewer-1 has viewer',
        },
        { tenantId: 'radiology', participants: [{ userId: 'auditor-1' }, { userId: 'test-service' }] },
      ]);
    });

    it('lets a key with one of the roles in, on its tenant, and audits its login once per hour and tenant', async () => {
      const t0 = Date.now();
      const search = await get('/dicomweb/studies', { authorization: 'Bearer viewer-key' });
      expect(search.statusCode).toBe(200);
      expect(search.json()).toEqual({ principal: 'viewer-1', same: true });
      expect((await get('/dicomweb/studies', { 'x-api-key': 'viewer-key' })).statusCode).toBe(200);
      const store = await app.inject({
        method: 'POST',
        url: '/tenants/radiology/dicomweb/studies',
        headers: { authorization: 'Bearer viewer-key' },
      });
      expect(store.statusCode).toBe(201);
      expect(store.json()).toEqual({ stored: 'radiology' });
      const logins = () => events.filter((event) => event.event.code === '110114');
      expect(logins()).toMatchObject([
        {
          tenantId: 'default',
          outcome: 0,
          participants: [{ userId: 'viewer-1', isRequestor: true, networkAccessPoint: '127.0.0.1' }, {}],
        },
        { tenantId: 'radiology', outcome: 0 },
      ]);
      for (const event of logins()) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
      jest.spyOn(Date, 'now').mockReturnValue(t0 + 3_600_000 + 1000);
      expect((await get('/dicomweb/studies', { authorization: 'Bearer viewer-key' })).statusCode).toBe(200);
      expect(logins()).toHaveLength(3);
      expect(events).toHaveLength(3);
    });

    it('leaves public routes open, and keeps undeclared routes to administrators with a warning', async () => {
      expect((await get('/health/live')).statusCode).toBe(200);
      expect((await get('/tenants/radiology/undeclared', { 'x-api-key': 'viewer-key' })).statusCode).toBe(403);
      expect((await get('/tenants/radiology/undeclared', { 'x-api-key': 'admin-key' })).statusCode).toBe(200);
      expect((await get('/tenants/radiology/undeclared', { 'x-api-key': 'admin-key' })).statusCode).toBe(200);
      expect(warnings.filter((w) => w.message === 'route without access rule: administrators only')).toEqual([
        {
          context: { route: 'OpsController.undeclared', roles: ['admin'] },
          message: 'route without access rule: administrators only',
        },
      ]);
    });
  });

  describe('with an OIDC provider beside the API keys', () => {
    const provider = new TestOidcProvider();
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    beforeEach(async () => {
      await provider.start();
      provider.mode = 'up';
      await start({
        defaultTenantId: 'default',
        apiKeys: [{ name: 'ris-1', sha256: sha256('ris-key'), grants: new Map([['radiology', ['viewer'] as const]]) }],
        oidc: provider.config(),
      });
    });
    afterEach(() => provider.stop());

    it("lets the user in by its token, with the token's roles on each tenant, and audits the login by user name", async () => {
      const token = await provider.token({
        sub: 'a1b2',
        preferred_username: 'dr.grey',
        pacs_roles: ['radiology:radiologist', 'default:viewer'],
      });
      const search = await get('/tenants/radiology/dicomweb/studies', bearer(token));
      expect(search.statusCode).toBe(200);
      expect(search.json()).toEqual({ principal: 'dr.grey', same: true });
      expect((await get('/dicomweb/studies', bearer(token))).statusCode).toBe(200);
      // The roles are the token's: storing needs technologist, which it lacks; another tenant is unknown.
      expect(
        (await app.inject({ method: 'POST', url: '/tenants/radiology/dicomweb/studies', headers: bearer(token) }))
          .statusCode,
      ).toBe(403);
      expect((await get('/tenants/cardiology/dicomweb/studies', bearer(token))).statusCode).toBe(404);
      // The API keys still work.
      expect((await get('/tenants/radiology/dicomweb/studies', { 'x-api-key': 'ris-key' })).statusCode).toBe(200);
      expect(events.filter((event) => event.event.code === '110114')).toMatchObject([
        {
          tenantId: 'radiology',
          outcome: 0,
          participants: [{ userId: 'dr.grey', networkAccessPoint: '127.0.0.1' }, {}],
        },
        { tenantId: 'default', outcome: 0, participants: [{ userId: 'dr.grey' }, {}] },
        { tenantId: 'radiology', outcome: 0, participants: [{ userId: 'ris-1' }, {}] },
      ]);
    });

    it('answers 401 invalid_token to an expired or forged token, saying why, and audits the failure', async () => {
      const expired = await get('/dicomweb/studies', bearer(await provider.token({ sub: 'u1' }, { expiresInS: -300 })));
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toBe('Bearer realm="pacs", error="invalid_token"');
      expect(expired.json()).toMatchObject({ message: 'invalid token: the token has expired' });
      const forged = await get('/dicomweb/studies', bearer(await provider.token({ sub: 'u1' }, { foreignKey: true })));
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toMatchObject({ message: 'invalid token: the signature does not verify' });
      for (const event of events) expect(() => AuditEventV1.schema.parse(event)).not.toThrow();
      expect(events).toMatchObject([
        { event: { code: '110114' }, outcome: 4, outcomeDescription: 'invalid token: the token has expired' },
        { event: { code: '110114' }, outcome: 4, outcomeDescription: 'invalid token: the signature does not verify' },
      ]);
    });

    it('answers 503 while the provider cannot be reached to check a token, and lets it in once it is back', async () => {
      const token = await provider.token({ sub: 'u1', pacs_roles: ['default:viewer'] });
      provider.mode = 'down';
      const refused = await get('/dicomweb/studies', bearer(token));
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json()).toMatchObject({
        message: expect.stringMatching(
          /^cannot verify the token now: cannot read the identity provider's discovery document .*: HTTP 503$/,
        ),
      });
      provider.mode = 'up';
      expect((await get('/dicomweb/studies', bearer(token))).statusCode).toBe(200);
    });
  });
});
