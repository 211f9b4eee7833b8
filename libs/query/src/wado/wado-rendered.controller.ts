import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { Access } from '@pacs/identity';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetrieveRenderedUseCase } from './retrieve-rendered.use-case';
import { RetrieveThumbnailUseCase } from './retrieve-thumbnail.use-case';
import { WadoRequests } from './wado-requests';
import { headerValue, wadoPaths } from './wado-routes';

const SERIES = 'studies/:study/series/:series';
const INSTANCE = `${SERIES}/instances/:instance`;
const FRAMES = `${INSTANCE}/frames/:frames`;

/** A resource after each of the study, series, instance and frames URLs. */
function everyLevel(resource: string): string[] {
  return ['studies/:study', SERIES, INSTANCE, FRAMES].flatMap((level) => wadoPaths(`${level}/${resource}`));
}

/**
 * WADO-RS Retrieve Rendered and Thumbnail resources (PS3.18 10.4.1.1.4, 8.3.5) of a study, series,
 * instance or frames, per tenant: `.../rendered` and `.../thumbnail` after each of those URLs, each
 * recorded on the audit trail with the instances it rendered (WadoRetrieveAudit).
 */
@Controller()
@Access('viewer', 'technologist', 'radiologist')
export class WadoRenderedController {
  constructor(
    private readonly requests: WadoRequests,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get(everyLevel('rendered'))
  retrieveRendered(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveRenderedUseCase(catalog, this.logger).execute(
        target,
        req.url,
        headerValue(req.headers.accept),
        params['frames'],
      ),
    );
  }

  @Get(everyLevel('thumbnail'))
  retrieveThumbnail(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveThumbnailUseCase(catalog).execute(target, req.url, headerValue(req.headers.accept), params['frames']),
    );
  }
}
