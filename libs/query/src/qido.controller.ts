import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { Access, correlationIdOf, httpClient, queryParameters, rawQuery, requestUrl } from '@pacs/identity';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, QueryError, type MetadataIndex, type SearchLevel } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail, queryAuditEvent, type AuditedQuery } from '@pacs/audit-records';
import type { QidoPathUids, QidoSearch } from './qido/parse-qido-search';
import { sendProblem } from './qido/problem';
import { searchAcceptProblem } from './qido/qido-accept';
import { SearchQidoUseCase } from './qido/search-qido.use-case';

/** Each search path under the default tenant's `/dicomweb` and under `/tenants/{tenant}/dicomweb`. */
const paths = (path: string): string[] => [`dicomweb/${path}`, `tenants/:tenant/dicomweb/${path}`];

/**
 * QIDO-RS (PS3.18 10.6) at every level: Search for Studies (`/studies`), for Series (`/series`,
 * `/studies/{study}/series`) and for Instances (`/instances`, `/studies/{study}/instances`,
 * `/studies/{study}/series/{series}/instances`), for the default tenant under `/dicomweb` and for
 * any tenant under `/tenants/{tenant}/dicomweb`. Matching as PS3.4 C.2.2.2 (see
 * @pacs/metadata-index); answers `application/dicom+json`, an array of results (empty when none
 * matches, also for a study or series the tenant does not hold), each with its Retrieve URL; a
 * bad parameter is 400 problem+json naming it; an unknown tenant is 404. Each search of a tenant,
 * answered or refused, is recorded on the audit trail ("Query", PS3.15 A.5.3.10).
 */
@Controller()
@Access('viewer', 'technologist', 'radiologist')
export class QidoController {
  private readonly search: SearchQidoUseCase | undefined;

  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    private readonly audit: AuditTrail,
  ) {
    this.search = index ? new SearchQidoUseCase(index) : undefined;
  }

  @Get(paths('studies'))
  searchStudies(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant?: string) {
    return this.handle(req, reply, tenant, 'study', {});
  }

  @Get(paths('series'))
  searchAllSeries(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant?: string) {
    return this.handle(req, reply, tenant, 'series', {});
  }

  @Get(paths('studies/:study/series'))
  searchStudySeries(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('study') study: string,
    @Param('tenant') tenant?: string,
  ) {
    return this.handle(req, reply, tenant, 'series', { study });
  }

  @Get(paths('instances'))
  searchAllInstances(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant?: string) {
    return this.handle(req, reply, tenant, 'instance', {});
  }

  @Get(paths('studies/:study/instances'))
  searchStudyInstances(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('study') study: string,
    @Param('tenant') tenant?: string,
  ) {
    return this.handle(req, reply, tenant, 'instance', { study });
  }

  @Get(paths('studies/:study/series/:series/instances'))
  searchSeriesInstances(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('tenant') tenant?: string,
  ) {
    return this.handle(req, reply, tenant, 'instance', { study, series });
  }

  private async handle(
    req: FastifyRequest,
    reply: FastifyReply,
    tenant: string | undefined,
    level: SearchLevel,
    path: QidoPathUids,
  ): Promise<void> {
    if (!this.search) throw new Error('QIDO-RS needs the metadata index (runApp metadataIndex: true)');
    const tenantId = tenant ?? this.tenants.defaultTenantId;
    if (!this.tenants.get(tenantId)) return sendProblem(reply, 404, `no tenant "${tenantId}"`);
    const unacceptable = searchAcceptProblem(req.headers.accept);
    if (unacceptable) {
      this.audited(req, tenantId, 'failure', unacceptable.detail);
      return sendProblem(reply, unacceptable.status, unacceptable.detail);
    }
    let search: QidoSearch;
    try {
      search = await this.search.parse(tenantId, level, path, new URL(req.url, 'http://localhost').searchParams);
    } catch (error) {
      if (error instanceof QueryError) {
        this.audited(req, tenantId, 'failure', error.message);
        return sendProblem(reply, 400, error.message);
      }
      throw error;
    }
    const prefix = tenant === undefined ? '' : `/tenants/${tenantId}`;
    const baseUrl = `${req.protocol}://${req.headers.host ?? 'localhost'}${prefix}/dicomweb`;
    let answer: Awaited<ReturnType<SearchQidoUseCase['execute']>>;
    try {
      answer = await this.search.execute(tenantId, search, baseUrl);
    } catch (error) {
      this.audited(req, tenantId, 'failure', error instanceof Error ? error.message : String(error));
      throw error;
    }
    this.audited(req, tenantId, 'success');
    const { results, more } = answer;
    // PS3.18 8.3.4.4: more results than returned are announced in a Warning header.
    if (more) void reply.header('Warning', '299 pacs "There are additional results that can be requested"');
    await reply.status(200).header('Content-Type', 'application/dicom+json').send(JSON.stringify(results));
  }

  /** The search's audit record: the client, the URL searched and its query parameters. */
  private audited(req: FastifyRequest, tenantId: string, outcome: AuditedQuery['outcome'], failure?: string): void {
    const url = requestUrl(req);
    this.audit.publish([
      queryAuditEvent(
        {
          tenantId,
          correlationId: correlationIdOf(req),
          requestor: httpClient(req),
          responder: { userId: url },
          target: { url },
          query: Buffer.from(rawQuery(req), 'utf8'),
          keys: queryParameters(req),
          outcome,
          ...(failure !== undefined ? { failure } : {}),
        },
        new Date(),
      ),
    ]);
  }
}
