import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail } from '../audit/audit-trail';
import { WadoRetrieveAudit } from '../audit/wado-retrieve.audit';
import { InstanceCatalog } from './instance-catalog';
import { RetrieveInstancesUseCase } from './retrieve-instances.use-case';
import { RetrieveMetadataUseCase } from './retrieve-metadata.use-case';
import { answer, headerValue, toPathParams, wadoPaths } from './wado-routes';
import { resolveTarget } from './wado-target';

/**
 * WADO-RS Retrieve Study, Series and Instance (PS3.18 10.4.1.1.1-2) and their Metadata, per tenant:
 * `/dicomweb/studies/{s}[/series/{se}[/instances/{i}]][/metadata]` and the same under
 * `/tenants/{t}`. Another tenant's study, like an unknown one, is a 404. Each request is recorded
 * on the audit trail with the instances it carried (WadoRetrieveAudit).
 */
@Controller()
export class WadoRetrieveController {
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
    ...wadoPaths('studies/:study'),
    ...wadoPaths('studies/:study/series/:series'),
    ...wadoPaths('studies/:study/series/:series/instances/:instance'),
  ])
  retrieve(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param() params: Record<string, string>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveInstancesUseCase(this.catalog.observed(audit.record), this.logger).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        headerValue(req.headers.accept),
      ),
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
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () =>
      new RetrieveMetadataUseCase(this.catalog.observed(audit.record), this.logger).execute(
        audit.resolved(resolveTarget(req, this.tenants, toPathParams(params))),
        headerValue(req.headers.accept),
        headerValue(req.headers['if-none-match']),
      ),
    );
  }
}
