import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { Access } from '@pacs/identity';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RetrieveInstancesUseCase } from './retrieve-instances.use-case';
import { RetrieveMetadataUseCase } from './retrieve-metadata.use-case';
import { WadoRequests } from './wado-requests';
import { headerValue, wadoPaths } from './wado-routes';

/**
 * WADO-RS Retrieve Study, Series and Instance (PS3.18 10.4.1.1.1-2) and their Metadata, per tenant:
 * `/dicomweb/studies/{s}[/series/{se}[/instances/{i}]][/metadata]` and the same under
 * `/tenants/{t}`. Another tenant's study, like an unknown one, is a 404. Each request is recorded
 * on the audit trail with the instances it carried (WadoRetrieveAudit).
 */
@Controller()
@Access('viewer', 'technologist', 'radiologist')
export class WadoRetrieveController {
  constructor(
    private readonly requests: WadoRequests,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get([
    ...wadoPaths('studies/:study'),
    ...wadoPaths('studies/:study/series/:series'),
    ...wadoPaths('studies/:study/series/:series/instances/:instance'),
  ])
  retrieve(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveInstancesUseCase(catalog, this.logger).execute(target, headerValue(req.headers.accept)),
    );
  }

  @Get([
    ...wadoPaths('studies/:study/metadata'),
    ...wadoPaths('studies/:study/series/:series/metadata'),
    ...wadoPaths('studies/:study/series/:series/instances/:instance/metadata'),
  ])
  retrieveMetadata(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    return this.requests.serve(req, reply, params, (catalog, target) =>
      new RetrieveMetadataUseCase(catalog, this.logger).execute(
        target,
        headerValue(req.headers.accept),
        headerValue(req.headers['if-none-match']),
      ),
    );
  }
}
