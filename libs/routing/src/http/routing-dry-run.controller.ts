import { Controller, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { Access, AuditedRoute } from '@pacs/identity';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { explainRules } from '../rule-matcher';
import { RoutingConfigService } from '../service/routing-config.service';
import { RoutingRuntime } from '../service/routing-runtime';
import { jsonObjectBody, TenantIdPipe } from './http-input';
import { HttpProblem, sendJson } from './http-problem';
import { InstanceDryRun } from './instance-dry-run';
import { RoutingProblemFilter } from './routing-problem.filter';
import { parseDryRun } from './routing-requests';

/** Instances of a study a dry run of the `instance` rules examines at most. */
export const DRY_RUN_MAX_INSTANCES = 1000;

/**
 * `POST /tenants/{tenant}/routing/rules/dry-run` with `{ studyInstanceUid, trigger? }`: which of
 * the tenant's rules a stored study matches, without forwarding anything.
 * - `study-stable` (default): the rules explained on the study as the planner sees it when the
 *   study is stable; `{ studyInstanceUid, trigger, rules: [{ ruleId, matched, skipped?, failed?:
 *   { path, reason }, destinations }] }`;
 * - `instance`: on each of the study's first 1000 instances, counted per rule: `{ ..., instances,
 *   truncated, rules: [{ ruleId, matched, matchedInstances, skipped?, failed?: { sopInstanceUid,
 *   path, reason }, destinations }] }`.
 * 404 when the tenant has no such study.
 */
@Controller('tenants/:tenant/routing/rules/dry-run')
@Access('admin')
@UseFilters(RoutingProblemFilter)
export class RoutingDryRunController {
  private readonly index: MetadataIndex;

  constructor(
    private readonly configs: RoutingConfigService,
    private readonly runtime: RoutingRuntime,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
  ) {
    if (!index) throw new Error('the routing dry run needs the metadata index (runApp metadataIndex: true)');
    this.index = index;
  }

  @AuditedRoute({ kind: 'query' })
  @Post()
  async dryRun(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { studyInstanceUid, trigger } = parseDryRun(
      jsonObjectBody(request, '{"studyInstanceUid": ..., "trigger": "instance" | "study-stable"}'),
    );
    const notFound = () => new HttpProblem(404, `no study ${studyInstanceUid} is stored for tenant "${tenant}"`);
    const { rules } = await this.configs.tenant(tenant);
    if (trigger === 'study-stable') {
      const subject = await this.runtime.subjects.study(tenant, studyInstanceUid);
      if (!subject) throw notFound();
      return sendJson(reply, 200, { studyInstanceUid, trigger, rules: explainRules(rules, subject, trigger) });
    }
    const run = new InstanceDryRun(rules);
    let truncated = false;
    for await (const { instance, metadata } of this.index.listMetadata(tenant, { studyInstanceUid })) {
      if (run.instances >= DRY_RUN_MAX_INSTANCES) {
        truncated = true;
        break;
      }
      run.add(instance.sopInstanceUid, { attributes: metadata });
    }
    if (run.instances === 0) throw notFound();
    await sendJson(reply, 200, {
      studyInstanceUid,
      trigger,
      instances: run.instances,
      truncated,
      rules: run.verdicts(),
    });
  }
}
