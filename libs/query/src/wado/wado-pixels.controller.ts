import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { Access } from '@pacs/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetrieveBulkDataUseCase } from './retrieve-bulkdata.use-case';
import { RetrieveFramesUseCase } from './retrieve-frames.use-case';
import { WadoRequests } from './wado-requests';
import { headerValue, wadoPaths } from './wado-routes';

const INSTANCE = 'studies/:study/series/:series/instances/:instance';

/**
 * WADO-RS Retrieve Frames (PS3.18 10.4.1.1.3) and Retrieve Bulkdata (10.4.1.1.5) of an instance,
 * per tenant: `.../instances/{i}/frames/{list}` and `.../instances/{i}/bulkdata/{path}`, each
 * recorded on the audit trail (WadoRetrieveAudit).
 */
@Controller()
@Access('viewer', 'technologist', 'radiologist')
export class WadoPixelsController {
  constructor(private readonly requests: WadoRequests) {}

  @Get(wadoPaths(`${INSTANCE}/frames/:frames`))
  retrieveFrames(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveFramesUseCase(catalog).execute(target, params['frames'] ?? '', headerValue(req.headers.accept)),
    );
  }

  @Get(wadoPaths(`${INSTANCE}/bulkdata/*`))
  retrieveBulkData(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveBulkDataUseCase(catalog).execute(
        target,
        params['*'] ?? '',
        headerValue(req.headers.accept),
        headerValue(req.headers.range),
      ),
    );
  }
}
