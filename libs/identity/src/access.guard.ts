import {
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { AuditTrail, securityAlertEvent, userAuthenticatedEvent } from '@pacs/audit-records';
import type { IdentityConfig, Role } from '@pacs/config';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessRuleOf, setPrincipal } from './access.decorators';
import { Authenticator, type AuthenticationFailure } from './authenticator';
import { auditTenantOf, correlationIdOf, requestTenantOf, requestUrl } from './http-parties';
import { IDENTITY_CONFIG, IDENTITY_SERVICE } from './identity.tokens';
import { OidcVerifier } from './oidc-verifier';
import { localPrincipal, type Principal } from './principal';
import { RecentLogins } from './recent-logins';

/** A route without @Access or @PublicRoute: for administrators only (and a warning in the log). */
const UNDECLARED: readonly Role[] = ['admin'];

const HOW_TO_AUTHENTICATE =
  'send the OIDC access token or the API key as "Authorization: Bearer <token or key>", or the key as "X-API-Key: <key>"';
type RefusedCredentials = Exclude<AuthenticationFailure, 'identity provider unavailable'>;
const FAILURE_DETAIL: Readonly<Record<RefusedCredentials, string>> = {
  'missing credentials': `missing credentials: ${HOW_TO_AUTHENTICATE}`,
  'unknown key': 'unknown key: the API key presented is not configured',
  'malformed Authorization header': 'malformed Authorization header: expected "Bearer <token or key>"',
  'invalid token': 'invalid token',
};
// RFC 6750 3: no error code when no credentials were sent, else what was wrong with them.
const CHALLENGE: Readonly<Record<RefusedCredentials, string>> = {
  'missing credentials': 'Bearer realm="pacs"',
  'unknown key': 'Bearer realm="pacs", error="invalid_token"',
  'malformed Authorization header': 'Bearer realm="pacs", error="invalid_request"',
  'invalid token': 'Bearer realm="pacs", error="invalid_token"',
};

/**
 * Access control of every HTTP route (registered globally, APP_GUARD, by the platform). The
 * tenant of a request is its route's `tenant` parameter (`/tenants/{tenant}/...`), else the
 * default tenant. A route declares who may call it (@Access, @PublicRoute; undeclared: admin).
 * - Local mode (neither API keys nor an OIDC provider configured, loopback only): everybody is the
 *   local user with every role; nothing is refused, nothing audited.
 * - With API keys or OIDC tokens (Authenticator): 401 with a WWW-Authenticate challenge when the
 *   credentials are missing, wrong, expired or malformed ("User Authenticated" with outcome 4);
 *   503 when a token cannot be checked because the provider's keys are out of reach; 404, as
 *   for an unknown tenant, when the caller has no role at all on the tenant (ARCHITECTURE.md:
 *   another tenant's data answers 404, never 403 with a hint); 403 naming the roles required
 *   when it has others (both "Security Alert"). Accepted credentials are recorded as "User Authenticated", once per principal and
 *   tenant per hour (RecentLogins).
 * The refusals are HttpExceptions, answered as problem+json by the platform's exception filter; a
 * refused request's body is not read, so the connection is closed after the answer.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly authenticator: Authenticator | null;
  private readonly logins = new RecentLogins();
  private readonly warned = new WeakSet<object>();

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(IDENTITY_SERVICE) private readonly service: string,
    private readonly audit: AuditTrail,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.authenticator =
      config.apiKeys || config.oidc
        ? new Authenticator(config.apiKeys ?? [], config.oidc ? new OidcVerifier(config.oidc) : null)
        : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const handler = context.getHandler();
    const controller = context.getClass();
    const rule = accessRuleOf(handler, controller);
    if (rule?.kind === 'public') return true;
    if (rule === undefined && !this.warned.has(handler)) {
      this.warned.add(handler);
      this.logger.warn(
        { route: `${controller.name}.${handler.name}`, roles: UNDECLARED },
        'route without access rule: administrators only',
      );
    }
    const required = rule?.roles ?? UNDECLARED;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const tenantId = requestTenantOf(request, this.config.defaultTenantId);

    if (this.authenticator === null) {
      setPrincipal(request, localPrincipal(request.ip));
      return true;
    }
    const auditTenantId = auditTenantOf(request, this.config.defaultTenantId);
    const correlationId = correlationIdOf(request);
    const authenticated = await this.authenticator.authenticate(request);
    if (!authenticated.ok) {
      this.audit.publish([
        userAuthenticatedEvent(
          {
            service: this.service,
            tenantId: auditTenantId,
            correlationId,
            user: { userId: 'unknown', ...(request.ip ? { address: request.ip } : {}) },
            failure: authenticated.detail ? `${authenticated.reason}: ${authenticated.detail}` : authenticated.reason,
          },
          new Date(),
        ),
      ]);
      this.refusing(request, reply);
      if (authenticated.reason === 'identity provider unavailable') {
        this.logger.error({ correlationId, detail: authenticated.detail }, 'cannot verify a bearer token');
        void reply.header('Retry-After', '5');
        throw new ServiceUnavailableException(
          `cannot verify the token now: ${authenticated.detail ?? 'the identity provider is unavailable'}`,
        );
      }
      void reply.header('WWW-Authenticate', CHALLENGE[authenticated.reason]);
      const detail = FAILURE_DETAIL[authenticated.reason];
      throw new UnauthorizedException(authenticated.detail ? `${detail}: ${authenticated.detail}` : detail);
    }
    const principal = authenticated.principal;
    const held = principal.roles(tenantId);
    const route = `${request.method} ${request.url.split('?', 1)[0] ?? ''}`;
    if (held.length === 0) {
      this.alert(
        request,
        principal,
        auditTenantId,
        correlationId,
        `${route}: ${principal.id} has no role on tenant "${tenantId}"`,
      );
      this.refusing(request, reply);
      // The same answer as the controllers give for a tenant that does not exist.
      throw new NotFoundException(`no tenant "${tenantId}"`);
    }
    if (this.logins.shouldRecord(principal.id, tenantId)) {
      this.audit.publish([
        userAuthenticatedEvent(
          { service: this.service, tenantId, correlationId, user: { userId: principal.id, ...addressOf(principal) } },
          new Date(),
        ),
      ]);
    }
    if (!required.some((role) => held.includes(role))) {
      const needs = `needs one of the roles ${required.join(', ')} on tenant "${tenantId}"`;
      this.alert(
        request,
        principal,
        tenantId,
        correlationId,
        `${route} ${needs}; ${principal.id} has ${held.join(', ')}`,
      );
      this.refusing(request, reply);
      throw new ForbiddenException(`${route} ${needs}`);
    }
    setPrincipal(request, principal);
    return true;
  }

  private alert(
    request: FastifyRequest,
    principal: Principal,
    tenantId: string,
    correlationId: string,
    description: string,
  ): void {
    this.logger.warn({ tenantId, principal: principal.id, correlationId, detail: description }, 'access refused');
    this.audit.publish([
      securityAlertEvent(
        {
          service: this.service,
          tenantId,
          correlationId,
          user: { userId: principal.id, ...addressOf(principal) },
          url: requestUrl(request),
          description,
        },
        new Date(),
      ),
    ]);
  }

  /** A refused request's body is left unread: close the connection after the answer. */
  private refusing(request: FastifyRequest, reply: FastifyReply): void {
    const length = request.headers['content-length'];
    const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (hasBody) void reply.header('Connection', 'close');
  }
}

function addressOf(principal: Principal): { address?: string } {
  return principal.address ? { address: principal.address } : {};
}
