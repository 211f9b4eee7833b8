import type { FastifyReply } from 'fastify';
import { describeValue } from '../problems';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * An answer of the routing API that is not a success: an RFC 9457 problem with a detail for
 * people and extension members for programs (`problems`, `rules`, `file`). Thrown by the
 * controllers and their helpers, answered by RoutingProblemFilter.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

/** The 400 of a refused configuration or request: every problem listed, and a detail naming them. */
export function invalid(what: string, problems: readonly string[]): HttpProblem {
  return new HttpProblem(400, `invalid ${what}: ${problems.join('; ')}`, { problems });
}

/** The body of a problem (application/problem+json, RFC 9457 3.1). */
export function problemBody(problem: HttpProblem): Record<string, unknown> {
  return {
    type: 'about:blank',
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    ...problem.extensions,
  };
}

/** Answers the problem as application/problem+json. */
export async function sendProblem(reply: FastifyReply, problem: HttpProblem): Promise<void> {
  await reply
    .status(problem.status)
    .header('Content-Type', 'application/problem+json')
    .send(JSON.stringify(problemBody(problem)));
}

/** Answers JSON; no body for 204. */
export async function sendJson(reply: FastifyReply, status: number, body?: unknown): Promise<void> {
  if (status === 204) {
    await reply.status(204).send();
    return;
  }
  await reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(body));
}

/** A value from a request in a message: a string quoted and cut at 80 characters, `5`, `an object`. */
export const quote = describeValue;
