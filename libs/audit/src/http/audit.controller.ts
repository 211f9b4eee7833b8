import { hostname } from 'node:os';
import { Controller, Get, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { AuditTrail, auditLogUsedEvent } from '@pacs/audit-records';
import { AUDIT_STORE, type AuditRecord, type AuditStore } from '@pacs/audit-store';
import { tenantIdSchema } from '@pacs/contracts';
import { Access, correlationIdOf, httpClient, IDENTITY_CONFIG, type IdentityConfig } from '@pacs/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyChain } from '../ledger/chain-verifier';
import { renderAuditMessage } from '../xml/audit-message.xml';
import { parseAuditSearch } from './audit-query-params';

const paths = (path: string): string[] => [`audit/${path}`, `tenants/:tenant/audit/${path}`];

/**
 * A tenant's audit trail, for its auditors (`/audit/...` for the default tenant,
 * `/tenants/{tenant}/audit/...` for any):
 * - `GET records?patientId&studyUid&user&eventType&outcome&from&to&limit&after`: the matching
 *   records in chain order, each with its DICOM audit message (PS3.15 A.5.1 XML), and the URL of
 *   the next page;
 * - `GET records/{seq}`: one record, as JSON, or as the XML message with `Accept: application/xml`;
 * - `GET verify`: walks the tenant's SHA-256 chain and names the first record that does not hold.
 * Each use is itself recorded ("Audit Log Used", PS3.15 A.5.3.2).
 */
@Controller()
@Access('auditor')
export class AuditController {
  constructor(
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    @Inject(IDENTITY_CONFIG) private readonly identity: IdentityConfig,
    private readonly auditTrail: AuditTrail,
  ) {}

  @Get(paths('records'))
  async search(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query() raw: Record<string, unknown>,
    @Param('tenant') tenant?: string,
  ): Promise<void> {
    const tenantId = this.tenantOf(tenant);
    const search = parseAuditSearch(raw);
    const records = await this.store.search(tenantId, search.query, search.page);
    this.recordUse(request, tenantId);
    const last = records.at(-1);
    const next = records.length === search.page.limit && last ? nextPageUrl(request.url, last.seq) : null;
    await reply
      .header('Content-Type', 'application/json')
      .send(JSON.stringify({ tenantId, records: records.map((r) => this.view(r)), next }));
  }

  @Get(paths('records/:seq'))
  async record(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('seq') seqText: string,
    @Param('tenant') tenant?: string,
  ): Promise<void> {
    const tenantId = this.tenantOf(tenant);
    const seq = Number(seqText);
    if (!/^[1-9][0-9]{0,15}$/.test(seqText))
      throw new NotFoundException(`no audit record "${seqText}": a record is named by its seq, 1 or more`);
    const record = await this.store.get(tenantId, seq);
    this.recordUse(request, tenantId);
    if (!record) throw new NotFoundException(`no audit record ${seq} in tenant ${tenantId}`);
    if (/application\/xml|text\/xml/.test(request.headers.accept ?? '')) {
      await reply.header('Content-Type', 'application/xml; charset=utf-8').send(this.xmlOf(record));
      return;
    }
    await reply.header('Content-Type', 'application/json').send(JSON.stringify(this.view(record)));
  }

  @Get(paths('verify'))
  async verify(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('tenant') tenant?: string,
  ): Promise<void> {
    const tenantId = this.tenantOf(tenant);
    const verification = await verifyChain(this.store, tenantId);
    this.recordUse(request, tenantId);
    await reply.header('Content-Type', 'application/json').send(JSON.stringify(verification));
  }

  private tenantOf(tenant: string | undefined): string {
    const tenantId = tenant ?? this.identity.defaultTenantId;
    if (!tenantIdSchema.safeParse(tenantId).success) throw new NotFoundException(`no tenant "${tenantId}"`);
    return tenantId;
  }

  private view(record: AuditRecord) {
    return { ...record, xml: this.xmlOf(record) };
  }

  private xmlOf(record: AuditRecord): string {
    return renderAuditMessage(record.event, {
      auditSourceId: `${hostname()}/${record.event.source}`,
      enterpriseSiteId: record.tenantId,
    });
  }

  private recordUse(request: FastifyRequest, tenantId: string): void {
    this.auditTrail.publish([
      auditLogUsedEvent(
        {
          tenantId,
          correlationId: correlationIdOf(request),
          user: httpClient(request),
          url: request.url,
        },
        new Date(),
      ),
    ]);
  }
}

function nextPageUrl(url: string, lastSeq: number): string {
  const parsed = new URL(url, 'http://pacs');
  parsed.searchParams.set('after', String(lastSeq));
  return `${parsed.pathname}${parsed.search}`;
}
