import { Injectable, type PipeTransform } from '@nestjs/common';
import { tenantIdSchema } from '@pacs/contracts';
import type { FastifyRequest } from 'fastify';
import { HttpProblem, quote } from './http-problem';

/** The `{tenant}` of a path, checked: lowercase letters, digits and dashes (else 400). */
@Injectable()
export class TenantIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const parsed = tenantIdSchema.safeParse(value);
    if (!parsed.success) {
      throw new HttpProblem(400, `${quote(value)} is not a tenant id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return value;
  }
}

/**
 * The JSON object a request carries: 415 unless sent as application/json, 400 unless an object.
 * `expected` says what the object holds, for the message.
 */
export function jsonObjectBody(request: FastifyRequest, expected: string): Record<string, unknown> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
    throw new HttpProblem(415, `the body is sent as application/json: ${expected}`);
  }
  const body: unknown = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpProblem(400, `expected a JSON object: ${expected}`);
  }
  return body as Record<string, unknown>;
}
