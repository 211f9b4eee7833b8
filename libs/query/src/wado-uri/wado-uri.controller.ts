import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { Access } from '@pacs/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WadoRequests } from '../wado/wado-requests';
import { headerValue } from '../wado/wado-routes';
import { serviceBaseUrl } from '../wado/wado-target';
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
@Access('viewer', 'technologist', 'radiologist')
export class WadoUriController {
  constructor(private readonly requests: WadoRequests) {}

  @Get(['wado', 'tenants/:tenant/wado'])
  wado(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('tenant') tenant: string | undefined,
  ): Promise<void> {
    return this.requests.answer(req, reply, async (catalog, audit) => {
      const tenantId = audit.resolved({ tenantId: this.requests.tenantId(tenant) }).tenantId;
      const query = new URL(req.url, 'http://localhost').searchParams;
      const request = parseWadoUriRequest(query, headerValue(req.headers.accept));
      const target = audit.resolved({
        tenantId,
        baseUrl: serviceBaseUrl(req, tenant),
        studyInstanceUid: request.studyInstanceUid,
        seriesInstanceUid: request.seriesInstanceUid,
        sopInstanceUid: request.sopInstanceUid,
      });
      return new RetrieveWadoUriUseCase(catalog).execute(request, target);
    });
  }
}
