import { Controller, Delete, Get, Inject, Param, Put, Req, Res, UseFilters } from '@nestjs/common';
import { Access, AuditedRoute } from '@pacs/identity';
import { LOGGER, type Logger } from '@pacs/observability';
import { ROUTING_STORE, type RoutingStore } from '@pacs/routing-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RoutingConfigService } from '../service/routing-config.service';
import { cancelDestinationJobs } from './cancel-destination-jobs';
import { deleteDestination, putDestination } from './config-changes';
import { jsonObjectBody, TenantIdPipe } from './http-input';
import { HttpProblem, quote, sendJson } from './http-problem';
import { RoutingProblemFilter } from './routing-problem.filter';
import { changeTenantConfig, destinationView } from './tenant-config';
import { requireStore } from './require-store';

/**
 * A tenant's destinations, under `/tenants/{tenant}/routing/destinations` (header values always
 * shown as `***`; a PUT of `***` keeps the stored value):
 * - `GET /`: `{ revision, destinations, managedBy? }`;
 * - `GET /{id}`, `PUT /{id}` (201 when new, 200 else; 400 naming each problem),
 *   `DELETE /{id}` (409 naming the rules that send to it; its pending and running jobs are cancelled);
 * - `GET /{id}/status`: its queue (pending, running, failed, oldestPendingAt).
 */
@Controller('tenants/:tenant/routing/destinations')
@Access('admin')
@UseFilters(RoutingProblemFilter)
export class RoutingDestinationsController {
  private readonly store: RoutingStore;

  constructor(
    private readonly configs: RoutingConfigService,
    @Inject(ROUTING_STORE) store: RoutingStore | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.store = requireStore(store);
  }

  @AuditedRoute({ kind: 'query' })
  @Get()
  async list(@Param('tenant', TenantIdPipe) tenant: string, @Res() reply: FastifyReply): Promise<void> {
    const [documents, routing] = await Promise.all([this.configs.documents(tenant), this.configs.tenant(tenant)]);
    await sendJson(reply, 200, {
      revision: documents.revision,
      destinations: documents.destinations.map(destinationView),
      ...(routing.managedBy ? { managedBy: routing.managedBy } : {}),
    });
  }

  @AuditedRoute({ kind: 'query' })
  @Get(':id')
  async get(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const document = (await this.configs.documents(tenant)).destinations.find((d) => d['id'] === id);
    if (!document) throw new HttpProblem(404, `no destination ${quote(id)}`);
    await sendJson(reply, 200, destinationView(document));
  }

  @AuditedRoute({ kind: 'change', configuration: 'network' })
  @Put(':id')
  async put(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = jsonObjectBody(request, 'a destination, {"kind": "dimse" | "dicomweb", ...}');
    const put = await changeTenantConfig(this.configs, tenant, (current) => {
      const result = putDestination(current, id, body);
      return { documents: result.documents, result };
    });
    this.logger.info({ tenantId: tenant, destinationId: id, created: put.created }, 'routing destination saved');
    await sendJson(reply, put.created ? 201 : 200, destinationView(put.stored));
  }

  @AuditedRoute({ kind: 'change', configuration: 'network' })
  @Delete(':id')
  async delete(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await changeTenantConfig(this.configs, tenant, (current) => ({
      documents: deleteDestination(current, id),
      result: undefined,
    }));
    const cancelled = await cancelDestinationJobs(this.store, tenant, id);
    this.logger.info({ tenantId: tenant, destinationId: id, cancelled }, 'routing destination deleted');
    await sendJson(reply, 204);
  }

  @AuditedRoute({ kind: 'query' })
  @Get(':id/status')
  async status(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const routing = await this.configs.tenant(tenant);
    if (!routing.destinations.some((d) => d.id === id)) throw new HttpProblem(404, `no destination ${quote(id)}`);
    const stats = (await this.store.queueStats()).find((s) => s.tenantId === tenant && s.destinationId === id);
    await sendJson(reply, 200, {
      destinationId: id,
      pending: stats?.pending ?? 0,
      running: stats?.running ?? 0,
      failed: stats?.failed ?? 0,
      oldestPendingAt: stats?.oldestPendingAt ?? null,
    });
  }
}
