import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { TenantRegistry } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditTrail } from '@pacs/audit-records';
import { WadoRetrieveAudit } from '../audit/wado-retrieve.audit';
import { InstanceCatalog } from './instance-catalog';
import type { WadoResponse } from './wado-response';
import { answer, toPathParams } from './wado-routes';
import { resolveTarget, resolveTenant, type WadoTarget } from './wado-target';

/**
 * What every WADO-RS and WADO-URI handler does around its use case: the tenant checked (404), the
 * answer sent (problem+json when refused), and the request recorded on the audit trail with the
 * instances the catalog handed out (WadoRetrieveAudit).
 */
@Injectable()
export class WadoRequests {
  private readonly catalog: InstanceCatalog;

  constructor(
    private readonly tenants: TenantRegistry,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobs: BlobStore,
    private readonly auditTrail: AuditTrail,
  ) {
    this.catalog = new InstanceCatalog(index, blobs);
  }

  /** Serves a WADO-RS request for the resource its path names (tenant 404, each UID 400). */
  serve(
    req: FastifyRequest,
    reply: FastifyReply,
    params: Readonly<Record<string, string | undefined>>,
    use: (catalog: InstanceCatalog, target: WadoTarget) => Promise<WadoResponse>,
  ): Promise<void> {
    return this.answer(req, reply, (catalog, audit) =>
      use(catalog, audit.resolved(resolveTarget(req, this.tenants, toPathParams(params)))),
    );
  }

  /** Serves a request whose target `work` resolves itself, noting it on `audit` (WADO-URI). */
  answer(
    req: FastifyRequest,
    reply: FastifyReply,
    work: (catalog: InstanceCatalog, audit: WadoRetrieveAudit) => Promise<WadoResponse>,
  ): Promise<void> {
    const audit = new WadoRetrieveAudit(this.auditTrail, req, reply);
    return answer(reply, () => work(this.catalog.observed(audit.record), audit));
  }

  /** The tenant of a URL: `/tenants/{t}/...`, else the default one; an unknown tenant is a 404. */
  tenantId(tenant: string | undefined): string {
    return resolveTenant(this.tenants, tenant);
  }
}
