import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, parseQidoQuery, QueryError, type MetadataIndex, type QidoQuery } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * QIDO-RS Search for Studies (PS3.18 10.6): `/dicomweb/studies` for the default tenant and
 * `/tenants/{tenant}/dicomweb/studies`. Matching as PS3.4 C.2.2.2 (see @pacs/metadata-index);
 * answers `application/dicom+json`, an array of studies (empty when none matches), each with its
 * Retrieve URL; a bad parameter is 400 problem+json naming it; another tenant's URL is 404.
 */
@Controller()
export class QidoController {
  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) private readonly index: MetadataIndex | null,
  ) {}

  @Get('dicomweb/studies')
  searchDefault(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.searchStudies(req, reply, this.tenants.defaultTenantId);
  }

  @Get('tenants/:tenant/dicomweb/studies')
  searchTenant(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant: string): Promise<void> {
    return this.searchStudies(req, reply, tenant);
  }

  private async searchStudies(req: FastifyRequest, reply: FastifyReply, tenantId: string): Promise<void> {
    if (!this.index) throw new Error('QIDO-RS needs the metadata index (runApp metadataIndex: true)');
    if (!this.tenants.get(tenantId)) return sendProblem(reply, 404, `no tenant "${tenantId}"`);
    let query: QidoQuery;
    try {
      query = parseQidoQuery(new URL(req.url, 'http://localhost').searchParams);
    } catch (error) {
      if (error instanceof QueryError) return sendProblem(reply, 400, error.message);
      throw error;
    }
    const { results, more } = await this.index.searchStudies(
      tenantId,
      query.keys,
      { ...(query.limit !== undefined ? { limit: query.limit } : {}), offset: query.offset },
      { fuzzy: query.fuzzy },
    );
    const prefix = req.url.startsWith('/tenants/') ? `/tenants/${tenantId}` : '';
    const base = `${req.protocol}://${req.headers.host ?? 'localhost'}${prefix}/dicomweb`;
    const body = results.map((study) => ({
      ...study,
      // Retrieve URL (0008,1190) of the study (PS3.18 10.6.3.3.1).
      '00081190': { vr: 'UR', Value: [`${base}/studies/${String(study['0020000D']?.Value?.[0])}`] },
    }));
    // PS3.18 8.3.4.4: more results than returned are announced in a Warning header.
    if (more) void reply.header('Warning', '299 pacs "There are additional results that can be requested"');
    await reply.status(200).header('Content-Type', 'application/dicom+json').send(JSON.stringify(body));
  }
}

async function sendProblem(reply: FastifyReply, status: number, detail: string): Promise<void> {
  const titles: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found' };
  await reply
    .status(status)
    .header('Content-Type', 'application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title: titles[status] ?? 'Error', status, detail }));
}
