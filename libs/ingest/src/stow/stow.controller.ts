import type { Readable } from 'node:stream';
import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { DicomConfig } from '@pacs/config';
import { Access, correlationIdOf, principalOf } from '@pacs/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DICOM_CONFIG } from '../dimse/ingest.tokens';
import { TenantRegistry } from '../tenants/tenant-registry';
import { StoreStudiesUseCase } from './store-studies.use-case';

/**
 * STOW-RS endpoints (PS3.18 10.5): `/dicomweb/studies[/{study}]` for the default tenant and
 * `/tenants/{tenant}/dicomweb/studies[/{study}]`. Errors are RFC 9457 problem+json; another
 * tenant's URL answers 404 like an unknown one.
 */
@Controller()
@Access('technologist', 'radiologist')
export class StowController {
  constructor(
    private readonly storeStudies: StoreStudiesUseCase,
    private readonly tenants: TenantRegistry,
    @Inject(DICOM_CONFIG) private readonly config: DicomConfig,
  ) {}

  @Post('dicomweb/studies')
  storeDefault(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle(req, reply, this.tenants.defaultTenantId, undefined);
  }

  @Post('dicomweb/studies/:study')
  storeDefaultStudy(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('study') study: string,
  ): Promise<void> {
    return this.handle(req, reply, this.tenants.defaultTenantId, study);
  }

  @Post('tenants/:tenant/dicomweb/studies')
  storeTenant(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Param('tenant') tenant: string): Promise<void> {
    return this.handle(req, reply, tenant, undefined);
  }

  @Post('tenants/:tenant/dicomweb/studies/:study')
  storeTenantStudy(
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('tenant') tenant: string,
    @Param('study') study: string,
  ): Promise<void> {
    return this.handle(req, reply, tenant, study);
  }

  private async handle(
    req: FastifyRequest,
    reply: FastifyReply,
    tenantId: string,
    study: string | undefined,
  ): Promise<void> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return sendProblem(reply, 404, `no tenant "${tenantId}"`);
    if (study !== undefined && !/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(study)) {
      return sendProblem(reply, 400, `"${study}" in the URL is not a valid StudyInstanceUID (PS3.5 9.1)`);
    }
    const prefix =
      tenantId === this.tenants.defaultTenantId && !req.url.startsWith('/tenants/') ? '' : `/tenants/${tenantId}`;
    const result = await this.storeStudies.execute({
      tenant,
      source: { protocol: 'STOW-RS', remoteAddress: req.ip, clientId: principalOf(req)?.id ?? 'unknown' },
      correlationId: correlationIdOf(req),
      contentType: req.headers['content-type'],
      // The multipart/related parser registered by the platform hands the raw request stream over.
      body: (req.body as Readable | undefined) ?? req.raw,
      ...(study !== undefined ? { studyInstanceUid: study } : {}),
      baseUrl: `${req.protocol}://${req.headers.host ?? 'localhost'}${prefix}/dicomweb`,
      maxBytes: this.config.stowMaxBytes,
    });
    if (result.kind === 'problem') return sendProblem(reply, result.status, result.detail);
    if (result.warnings.length > 0) {
      // PS3.18 8.3.4: a Warning header per problem, code 299 with a text.
      void reply.header(
        'Warning',
        result.warnings.slice(0, 20).map((w) => `299 pacs "${w.replace(/"/g, "'")}"`),
      );
    }
    await reply
      .status(result.status)
      .header('Content-Type', 'application/dicom+json')
      .send(JSON.stringify(result.body));
  }
}

/**
 * A problem is answered without reading the rest of the body: the connection is closed after it,
 * so that the unread bytes do not sit in front of the client's next request.
 */
async function sendProblem(reply: FastifyReply, status: number, detail: string): Promise<void> {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
  };
  await reply
    .status(status)
    .header('Content-Type', 'application/problem+json')
    .header('Connection', 'close')
    .send(JSON.stringify({ type: 'about:blank', title: titles[status] ?? 'Error', status, detail }));
}
