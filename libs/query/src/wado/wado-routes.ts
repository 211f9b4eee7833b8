import type { FastifyReply } from 'fastify';
import { WadoProblem, sendProblem } from './wado-problem';
import { sendWadoResponse, type WadoResponse } from './wado-response';
import type { WadoPathParams } from './wado-target';

/**
 * The two URLs of a WADO-RS resource: the default tenant's under `/dicomweb` and every tenant's
 * under `/tenants/{tenant}/dicomweb` (docs/conformance.md), as the STOW-RS and QIDO-RS routes.
 */
export function wadoPaths(resource: string): string[] {
  return [`dicomweb/${resource}`, `tenants/:tenant/dicomweb/${resource}`];
}

/** Runs a use case and sends its answer, or the problem+json of a refused request. */
export async function answer(reply: FastifyReply, work: () => Promise<WadoResponse>): Promise<void> {
  let response: WadoResponse;
  try {
    response = await work();
  } catch (error) {
    if (error instanceof WadoProblem) return sendProblem(reply, error.status, error.detail, error.headers);
    throw error;
  }
  await sendWadoResponse(reply, response);
}

/** A header's value as one string (repeated fields joined, RFC 9110 5.3). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The route's parameters as WadoPathParams (`tenant` only on the `/tenants/{t}` routes). */
export function toPathParams(params: Readonly<Record<string, string | undefined>>): WadoPathParams {
  return {
    study: params['study'] ?? '',
    ...(params['tenant'] !== undefined ? { tenant: params['tenant'] } : {}),
    ...(params['series'] !== undefined ? { series: params['series'] } : {}),
    ...(params['instance'] !== undefined ? { instance: params['instance'] } : {}),
  };
}
