import { Controller, Delete, Get, Inject, Param, Put, Req, Res, UseFilters } from '@nestjs/common';
import { Access, AuditedRoute } from '@pacs/identity';
import { LOGGER, type Logger } from '@pacs/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RoutingConfigService } from '../service/routing-config.service';
import { deleteRule, destinationIdsOf, putRule } from './config-changes';
import { jsonObjectBody, TenantIdPipe } from './http-input';
import { HttpProblem, quote, sendJson } from './http-problem';
import { RoutingProblemFilter } from './routing-problem.filter';
import { changeTenantConfig, ruleView } from './tenant-config';

/**
 * A tenant's rules, under `/tenants/{tenant}/routing/rules`:
 * - `GET /`: `{ revision, rules, managedBy? }`;
 * - `GET /{id}`, `PUT /{id}` (validated against the tenant's destinations: 400 naming each
 *   problem; 201 when new, 200 else), `DELETE /{id}` (204).
 * The dry run is RoutingDryRunController.
 */
@Controller('tenants/:tenant/routing/rules')
@Access('admin')
@UseFilters(RoutingProblemFilter)
export class RoutingRulesController {
  constructor(
    private readonly configs: RoutingConfigService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @AuditedRoute({ kind: 'query' })
  @Get()
  async list(@Param('tenant', TenantIdPipe) tenant: string, @Res() reply: FastifyReply): Promise<void> {
    const [documents, routing] = await Promise.all([this.configs.documents(tenant), this.configs.tenant(tenant)]);
    const ids = destinationIdsOf(documents);
    await sendJson(reply, 200, {
      revision: documents.revision,
      rules: documents.rules.map((rule) => ruleView(rule, ids)),
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
    const documents = await this.configs.documents(tenant);
    const rule = documents.rules.find((r) => r['id'] === id);
    if (!rule) throw new HttpProblem(404, `no rule ${quote(id)}`);
    await sendJson(reply, 200, ruleView(rule, destinationIdsOf(documents)));
  }

  @AuditedRoute({ kind: 'change', configuration: 'software' })
  @Put(':id')
  async put(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = jsonObjectBody(request, 'a rule, {"trigger": ..., "condition": ..., "destinations": [...]}');
    const put = await changeTenantConfig(this.configs, tenant, (current) => {
      const result = putRule(current, id, body);
      return { documents: result.documents, result };
    });
    this.logger.info({ tenantId: tenant, ruleId: id, created: put.created }, 'routing rule saved');
    await sendJson(reply, put.created ? 201 : 200, put.stored);
  }

  @AuditedRoute({ kind: 'change', configuration: 'software' })
  @Delete(':id')
  async delete(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await changeTenantConfig(this.configs, tenant, (current) => ({ documents: deleteRule(current, id), result: 0 }));
    this.logger.info({ tenantId: tenant, ruleId: id }, 'routing rule deleted');
    await sendJson(reply, 204);
  }
}
