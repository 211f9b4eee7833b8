import {
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
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
import { localPrincipal, type Principal } from './principal';
import { RecentLogins } from './recent-logins';

/** A route without @Access or @PublicRoute: for administrators only (and a warning in the log). */
const UNDECLARED: readonly Role[] = ['admin'];

const HOW_TO_AUTHENTICATE = 'send the API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"';
const FAILURE_DETAIL: Readonly<Record<AuthenticationFailure, string>> = {
  'missing credentials': `missing credentials: ${HOW_TO_AUTHENTICATE}`,
  'unknown key': 'unknown key: the API key presented is not configured',
  'malformed Authorization header': 'malformed Authorization header: expected "Bearer <key>"',
};
// RFC 6750 3: no error code when no credentials were sent, else what was wrong with them.
const CHALLENGE: Readonly<Record<AuthenticationFailure, string>> = {
  'missing credentials': 'Bearer realm="pacs"',
  'unknown key': 'Bearer realm="pacs", error="invalid_token"',
  'malformed Authorization header': 'Bearer realm="pacs", error="invalid_request"',
};

/**
 * Access control of every HTTP route (registered globally, APP_GUARD, by the platform). The
 * tenant of a request is its route's `tenant` parameter (`/tenants/{tenant}/...`), else the
 * default tenant. A route declares who may call it (@Access, @PublicRoute; undeclared: admin).
 * - Local mode (no API keys configured, loopback only): everybody is the local user with every
 *   role; nothing is refused, nothing audited.
 * - With API keys: 401 with a WWW-Authenticate challenge when the credentials are missing, wrong
 *   or malformed ("User Authenticated" with outcome 4); 404, as for an unknown tenant, when the
 *   key has no role at all on the tenant (ARCHITECTURE.md: another tenant's data answers 404,
 *   never 403 with a hint); 403 naming the roles required when it has others (both "Security
 *   Alert"). An accepted key is recorded as "User Authenticated", once per key and tenant per hour
 *   (RecentLogins).
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
    this.authenticator = config.apiKeys ? new Authenticator(config.apiKeys) : null;
  }

  canActivate(context: ExecutionContext): boolean {
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
    const authenticated = this.authenticator.authenticate(request);
    if (!authenticated.ok) {
      this.audit.publish([
        userAuthenticatedEvent(
          {
            service: this.service,
            tenantId: auditTenantId,
            correlationId,
            user: { userId: 'unknown', ...(request.ip ? { address: request.ip } : {}) },
            failure: authenticated.reason,
          },
          new Date(),
        ),
      ]);
      this.refusing(request, reply);
      void reply.header('WWW-Authenticate', CHALLENGE[authenticated.reason]);
      throw new UnauthorizedException(FAILURE_DETAIL[authenticated.reason]);
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
