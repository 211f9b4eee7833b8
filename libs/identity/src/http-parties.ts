import { randomUUID } from 'node:crypto';
import { tenantIdSchema } from '@pacs/contracts';
import type { FastifyRequest } from 'fastify';
import { principalOf } from './access.decorators';

const correlationIds = new WeakMap<object, string>();

/** The correlation id of a request's audit records: one per request, whoever records. */
export function correlationIdOf(req: FastifyRequest): string {
  let id = correlationIds.get(req);
  if (id === undefined) {
    id = `http-${randomUUID()}`;
    correlationIds.set(req, id);
  }
  return id;
}

/** The tenant a request names: its route's `tenant` parameter, else the default tenant. */
export function requestTenantOf(req: FastifyRequest, defaultTenantId: string): string {
  const tenant = (req.params as Readonly<Record<string, string | undefined>> | undefined)?.['tenant'];
  return tenant ?? defaultTenantId;
}

/** The tenant whose trail records a request: the one it names, the default tenant's when that is malformed. */
export function auditTenantOf(req: FastifyRequest, defaultTenantId: string): string {
  const tenant = requestTenantOf(req, defaultTenantId);
  return tenantIdSchema.safeParse(tenant).success ? tenant : defaultTenantId;
}

/**
 * The HTTP client of a request as the audit trail names it: the authenticated principal (an API
 * key's name, or `local` when no authentication is configured), with its network address as access
 * point.
 */
export function httpClient(req: FastifyRequest): { readonly userId: string; readonly address?: string } {
  const address = req.ip;
  const userId = principalOf(req)?.id ?? 'unknown';
  return address ? { userId, address } : { userId };
}

/** The URL of the resource a request named, without its query: what answered it. */
export function requestUrl(req: FastifyRequest): string {
  const path = req.url.split('?', 1)[0] ?? '';
  return `${req.protocol}://${req.headers.host ?? 'localhost'}${path}`;
}

/** The query string of a request as received (percent-encoded), without the "?". */
export function rawQuery(req: FastifyRequest): string {
  const at = req.url.indexOf('?');
  return at < 0 ? '' : req.url.slice(at + 1);
}

/** The query parameters, decoded, a repeated one's values joined by ",". */
export function queryParameters(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQuery(req))) {
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}
