import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from '@pacs/observability';

/**
 * Answers what no controller answered itself as RFC 9457 application/problem+json: a request
 * refused before it reached one (malformed JSON body, unknown route: its HTTP status and the
 * framework's message as the detail) and an unexpected error (500, logged, its message not
 * disclosed). Controllers that answer their own problems are not affected.
 */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let detail = 'internal error';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
      detail = Array.isArray(message) ? message.join('; ') : String(message);
    } else {
      this.logger.error({ err: exception }, 'request failed');
    }
    void reply
      .status(status)
      .header('Content-Type', 'application/problem+json')
      .send(JSON.stringify({ type: 'about:blank', title: titleOf(status), status, detail }));
  }
}

function titleOf(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string'
    ? name
        .toLowerCase()
        .split('_')
        .map((word) => word[0]!.toUpperCase() + word.slice(1))
        .join(' ')
    : 'Error';
}
