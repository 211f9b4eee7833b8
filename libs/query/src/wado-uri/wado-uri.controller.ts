import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail } from '../audit/audit-trail';
import { WadoRetrieveAudit } from '../audit/wado-retrieve.audit';
import { InstanceCatalog } from '../wado/instance-catalog';
import { answer, headerValue } from '../wado/wado-routes';
import { resolveTenant, serviceBaseUrl } from '../wado/wado-target';
import { parseWadoUriRequest } from './wado-uri-request';
import { RetrieveWadoUriUseCase } from './retrieve-wado-uri.use-case';

/**
 * WADO-URI (PS3.18 9): `GET /wado?requestType=WADO&studyUID=...&seriesUID=...&objectUID=...` for the
 * default tenant and `GET /tenants/{t}/wado?...` for the others. The standard gives the service no
 * path (its Target URI is the Base URI, PS3.18 9.1). Orthanc serves it at `/wado` and dcm4chee-arc
 * at `.../aets/{aet}/wado`, both beside their DICOMweb root rather than under it; this server does
 * the same: `/wado` beside `/dicomweb`, per tenant under `/tenants/{t}`. Each request is recorded
 * on the audit trail (WadoRetrieveAudit).
 */
@Controller()
export class WadoUriController {
  private readonly catalog: InstanceCatalog;

  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobs: BlobStore,
    private readonly auditTrail: AuditTrail,
  ) {
    this.catalog = new InstanceCatalog(index, blobs);
  }

  @Get(['wado', 'tenants/:tenant/wado'])
  wado(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('tenant') tenant: string | undefined,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, async () => {
      const tenantId = audit.resolved({ tenantId: resolveTenant(this.tenants, tenant) }).tenantId;
      const query = new URL(req.url, 'http://localhost').searchParams;
      const request = parseWadoUriRequest(query, headerValue(req.headers.accept));
      const target = audit.resolved({
        tenantId,
        baseUrl: serviceBaseUrl(req, tenant),
        studyInstanceUid: request.studyInstanceUid,
        seriesInstanceUid: request.seriesInstanceUid,
        sopInstanceUid: request.sopInstanceUid,
      });
      return new RetrieveWadoUriUseCase(this.catalog.observed(audit.record)).execute(request, target);
    });
  }
}
