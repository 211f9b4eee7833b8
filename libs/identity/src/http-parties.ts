import { principalOf } from './access.decorators';
import type { FastifyRequest } from 'fastify';

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
