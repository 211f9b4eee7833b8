import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail } from '../audit/audit-trail';
import { WadoRetrieveAudit } from '../audit/wado-retrieve.audit';
import { InstanceCatalog } from './instance-catalog';
import { RetrieveRenderedUseCase } from './retrieve-rendered.use-case';
import { RetrieveThumbnailUseCase } from './retrieve-thumbnail.use-case';
import { answer, headerValue, toPathParams, wadoPaths } from './wado-routes';
import { resolveTarget } from './wado-target';

const SERIES = 'studies/:study/series/:series';
const INSTANCE = `${SERIES}/instances/:instance`;
const FRAMES = `${INSTANCE}/frames/:frames`;

/**
 * WADO-RS Retrieve Rendered and Thumbnail resources (PS3.18 10.4.1.1.4, 8.3.5) of a study, series,
 * instance or frames, per tenant: `.../rendered` and `.../thumbnail` after each of those URLs, each
 * recorded on the audit trail with the instances it rendered (WadoRetrieveAudit).
 */
@Controller()
export class WadoRenderedController {
  private readonly catalog: InstanceCatalog;

  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly auditTrail: AuditTrail,
  ) {
    this.catalog = new InstanceCatalog(index, blobs);
  }

  @Get([
    ...wadoPaths('studies/:study/rendered'),
    ...wadoPaths(`${SERIES}/rendered`),
    ...wadoPaths(`${INSTANCE}/rendered`),
    ...wadoPaths(`${FRAMES}/rendered`),
  ])
  retrieveRendered(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveRenderedUseCase(this.catalog.observed(audit.record), this.logger).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        req.url,
        headerValue(req.headers.accept),
        params['frames'],
      ),
    );
  }

  @Get([
    ...wadoPaths('studies/:study/thumbnail'),
    ...wadoPaths(`${SERIES}/thumbnail`),
    ...wadoPaths(`${INSTANCE}/thumbnail`),
    ...wadoPaths(`${FRAMES}/thumbnail`),
  ])
  retrieveThumbnail(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveThumbnailUseCase(this.catalog.observed(audit.record)).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        req.url,
        headerValue(req.headers.accept),
        params['frames'],
      ),
    );
  }
}
