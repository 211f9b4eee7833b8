import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail } from '../audit/audit-trail';
import { WadoRetrieveAudit } from '../audit/wado-retrieve.audit';
import { InstanceCatalog } from './instance-catalog';
import { RetrieveBulkDataUseCase } from './retrieve-bulkdata.use-case';
import { RetrieveFramesUseCase } from './retrieve-frames.use-case';
import { answer, headerValue, toPathParams, wadoPaths } from './wado-routes';
import { resolveTarget } from './wado-target';

const INSTANCE = 'studies/:study/series/:series/instances/:instance';

/**
 * WADO-RS Retrieve Frames (PS3.18 10.4.1.1.3) and Retrieve Bulkdata (10.4.1.1.5) of an instance,
 * per tenant: `.../instances/{i}/frames/{list}` and `.../instances/{i}/bulkdata/{path}`, each
 * recorded on the audit trail (WadoRetrieveAudit).
 */
@Controller()
export class WadoPixelsController {
  private readonly catalog: InstanceCatalog;

  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobs: BlobStore,
    private readonly auditTrail: AuditTrail,
  ) {
    this.catalog = new InstanceCatalog(index, blobs);
  }

  @Get(wadoPaths(`${INSTANCE}/frames/:frames`))
  retrieveFrames(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveFramesUseCase(this.catalog.observed(audit.record)).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        params['frames'] ?? '',
        headerValue(req.headers.accept),
      ),
    );
  }

  @Get(wadoPaths(`${INSTANCE}/bulkdata/*`))
  retrieveBulkData(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveBulkDataUseCase(this.catalog.observed(audit.record)).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        params['*'] ?? '',
        headerValue(req.headers.accept),
        headerValue(req.headers.range),
      ),
    );
  }
}
