import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { RoutingStoreError } from '@pacs/routing-store';
import type { FastifyReply } from 'fastify';
import { ManualForwardError } from '../service/plan-forwards.use-case';
import { RoutingManagedByFileError } from '../service/routing-config.service';
import { HttpProblem, sendProblem } from './http-problem';

/** The errors of the routing API that have an answer of their own; anything else is a 500. */
export type AnsweredError = HttpProblem | RoutingManagedByFileError | RoutingStoreError | ManualForwardError;

/**
 * The problem a routing API error is answered with:
 * - HttpProblem: as it is;
 * - RoutingManagedByFileError: 409 naming the routing file (`file`);
 * - ManualForwardError (unknown destination, nothing stored): 404;
 * - RoutingStoreError: INVALID_ARGUMENT 400 (e.g. an `after` that is no page cursor), CONFLICT
 *   409 (the configuration kept changing under the save), UNAVAILABLE 503, others 500.
 */
export function problemOf(error: AnsweredError): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof RoutingManagedByFileError) {
    return new HttpProblem(409, error.message, { code: error.code, file: error.file });
  }
  if (error instanceof ManualForwardError) return new HttpProblem(404, error.message, { code: error.code });
  switch (error.code) {
    case 'INVALID_ARGUMENT':
      return new HttpProblem(
        400,
        error.message.replace(/^page\.after: .*/, 'after: not the "next" of a page of jobs'),
        { code: error.code },
      );
    case 'CONFLICT':
      return new HttpProblem(409, `${error.message}: the configuration changed meanwhile, try again`, {
        code: error.code,
      });
    case 'UNAVAILABLE':
      return new HttpProblem(503, 'the routing store is unavailable, try again', { code: error.code });
    default:
      return new HttpProblem(500, 'the routing store failed', { code: error.code });
  }
}

/** Answers the routing API's errors as application/problem+json (RFC 9457). */
@Catch(HttpProblem, RoutingManagedByFileError, RoutingStoreError, ManualForwardError)
export class RoutingProblemFilter implements ExceptionFilter<AnsweredError> {
  async catch(error: AnsweredError, host: ArgumentsHost): Promise<void> {
    await sendProblem(host.switchToHttp().getResponse<FastifyReply>(), problemOf(error));
  }
}
