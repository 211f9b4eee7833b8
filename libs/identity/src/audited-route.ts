import { randomUUID } from 'node:crypto';
import {
  HttpException,
  Inject,
  Injectable,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuditEvent } from '@pacs/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';
import {
  AuditTrail,
  BEGIN_TRANSFERRING,
  configurationChangeEvent,
  queryAuditEvent,
  ROLE_REPORT,
  STUDY_UID,
  URI,
} from '@pacs/audit-records';
import type { IdentityConfig } from '@pacs/config';
import { auditTenantOf, correlationIdOf, httpClient, queryParameters, rawQuery, requestUrl } from './http-parties';
import { IDENTITY_CONFIG, IDENTITY_SERVICE } from './identity.tokens';

/** How a route is recorded on the audit trail when it makes no record of its own. */
export type AuditedRouteKind =
  /** A read of configuration or queues: a Query by URL (PS3.15 A.5.3.10, Note 2). */
  | { readonly kind: 'query' }
  /** A change of configuration: a Security Alert (PS3.15 A.5.3.11), network or software configuration. */
  | { readonly kind: 'change'; readonly configuration: 'network' | 'software' }
  /** A transfer asked for (a forward, a retry): Begin Transferring DICOM Instances (PS3.15 A.5.3.3). */
  | { readonly kind: 'transfer' };

const AUDITED_ROUTE = 'pacs:audited-route';

/**
 * Records each call of the route (or of every route of the controller) on the audit trail, once
 * answered: its outcome is 0 for a 2xx/3xx answer, 4 with the problem's detail otherwise. For the
 * routes whose service does not write a record of its own (QIDO-RS, WADO, STOW-RS and the audit
 * API write theirs).
 */
export const AuditedRoute = (kind: AuditedRouteKind) => SetMetadata(AUDITED_ROUTE, kind);

/** The audit record a route declares, if any (for the test that walks every route). */
export function auditedRouteOf(handler: object, controller: object): AuditedRouteKind | undefined {
  return (
    (Reflect.getMetadata(AUDITED_ROUTE, handler) as AuditedRouteKind | undefined) ??
    (Reflect.getMetadata(AUDITED_ROUTE, controller) as AuditedRouteKind | undefined)
  );
}

/** Publishes the records of the routes marked @AuditedRoute (registered by the platform on every route). */
@Injectable()
export class AuditedRouteInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly auditTrail: AuditTrail,
    @Inject(IDENTITY_CONFIG) private readonly identity: IdentityConfig,
    @Inject(IDENTITY_SERVICE) private readonly service: string,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const kind = this.reflector.getAllAndOverride<AuditedRouteKind | undefined>(AUDITED_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!kind) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      tap({
        next: () =>
          this.record(
            request,
            kind,
            reply.statusCode < 400 ? undefined : `answered ${reply.statusCode}`,
            reply.statusCode,
          ),
        error: (error: unknown) => {
          const status = error instanceof HttpException ? error.getStatus() : 500;
          const detail = error instanceof HttpException ? error.message : 'internal error';
          this.record(request, kind, `answered ${status}: ${detail}`, status);
        },
      }),
    );
  }

  private record(request: FastifyRequest, kind: AuditedRouteKind, failure: string | undefined, status: number): void {
    const tenantId = auditTenantOf(request, this.identity.defaultTenantId);
    const correlationId = correlationIdOf(request);
    const now = new Date();
    const path = request.url.split('?', 1)[0] ?? '';
    let event: AuditEvent;
    if (kind.kind === 'query') {
      event = queryAuditEvent(
        {
          service: this.service,
          tenantId,
          correlationId,
          requestor: httpClient(request),
          responder: { userId: requestUrl(request) },
          target: { url: requestUrl(request) },
          query: Buffer.from(rawQuery(request)),
          keys: queryParameters(request),
          outcome: failure ? 'failure' : 'success',
          ...(failure ? { failure } : {}),
        },
        now,
      );
    } else if (kind.kind === 'transfer') {
      event = transferRequestedEvent(request, { tenantId, correlationId, service: this.service, failure }, now);
    } else {
      event = configurationChangeEvent(
        {
          tenantId,
          correlationId,
          service: this.service,
          kind: kind.configuration,
          action: request.method === 'DELETE' ? 'D' : request.method === 'POST' || status === 201 ? 'C' : 'U',
          user: httpClient(request),
          url: requestUrl(request),
          description: `${request.method} ${path}`,
          ...(failure ? { failure } : {}),
        },
        now,
      );
    }
    this.auditTrail.publish([event]);
  }
}

/**
 * A transfer asked for through the API (PS3.15 A.5.3.3, EventID 110102, action E): the requestor,
 * the request's URL, and the study when the request names it (`studyInstanceUid` in its body).
 */
function transferRequestedEvent(
  request: FastifyRequest,
  context: { tenantId: string; correlationId: string; service: string; failure: string | undefined },
  now: Date,
): AuditEvent {
  const body = request.body as Record<string, unknown> | undefined;
  const study = typeof body?.['studyInstanceUid'] === 'string' ? body['studyInstanceUid'] : undefined;
  const requestor = httpClient(request);
  return {
    eventId: randomUUID(),
    tenantId: context.tenantId,
    occurredAt: now.toISOString(),
    correlationId: context.correlationId,
    causationId: null,
    event: BEGIN_TRANSFERRING,
    action: 'E',
    outcome: context.failure ? 4 : 0,
    ...(context.failure ? { outcomeDescription: context.failure } : {}),
    source: context.service,
    participants: [
      {
        userId: requestor.userId,
        isRequestor: true,
        ...(requestor.address ? { networkAccessPoint: requestor.address } : {}),
      },
    ],
    objects: [
      { typeCode: '2', idType: URI, id: requestUrl(request) },
      ...(study ? [{ typeCode: '2' as const, role: ROLE_REPORT, idType: STUDY_UID, id: study }] : []),
    ],
  };
}
