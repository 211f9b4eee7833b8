import { Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { Access, AuditedRoute } from '@pacs/identity';
import { LOGGER, type Logger } from '@pacs/observability';
import { ROUTING_STORE, type ForwardJob, type RoutingStore } from '@pacs/routing-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RoutingConfigService } from '../service/routing-config.service';
import { RoutingRuntime } from '../service/routing-runtime';
import { jsonObjectBody, TenantIdPipe } from './http-input';
import { HttpProblem, quote, sendJson } from './http-problem';
import { parseJobQuery } from './job-query';
import { jobView } from './job-view';
import { requireStore } from './require-store';
import { RoutingProblemFilter } from './routing-problem.filter';
import { parseManualForward } from './routing-requests';

/**
 * A tenant's forward jobs, under `/tenants/{tenant}/routing`:
 * - `GET jobs?state=&destination=&study=&limit=&after=`: `{ jobs, next }`, newest first, `next`
 *   (the `after` of the next page) null on the last page;
 * - `GET jobs/{id}`: `{ job }`;
 * - `POST jobs/{id}/retry`: a failed or cancelled job pending again (409 otherwise, or when its
 *   destination is gone); `POST jobs/{id}/cancel`: a pending or running job cancelled (409 otherwise);
 * - `POST forward` with `{ destinationId, studyInstanceUid, seriesInstanceUid?, sopInstanceUid? }`:
 *   202 `{ job }`, 404 for an unknown destination or nothing stored in the scope.
 * Another tenant's job is a 404, as one that does not exist.
 */
@Controller('tenants/:tenant/routing')
@Access('admin')
@UseFilters(RoutingProblemFilter)
export class RoutingJobsController {
  private readonly store: RoutingStore;

  constructor(
    private readonly configs: RoutingConfigService,
    private readonly runtime: RoutingRuntime,
    @Inject(ROUTING_STORE) store: RoutingStore | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.store = requireStore(store);
  }

  @AuditedRoute({ kind: 'query' })
  @Get('jobs')
  async list(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { filter, page } = parseJobQuery(query ?? {});
    const { jobs, next } = await this.store.listJobs(tenant, filter, page);
    await sendJson(reply, 200, { jobs: jobs.map(jobView), next: next ?? null });
  }

  @AuditedRoute({ kind: 'query' })
  @Get('jobs/:id')
  async get(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await sendJson(reply, 200, { job: jobView(await this.job(tenant, id)) });
  }

  @AuditedRoute({ kind: 'transfer' })
  @Post('jobs/:id/retry')
  async retry(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const job = await this.job(tenant, id);
    if (job.state !== 'failed' && job.state !== 'cancelled') {
      throw new HttpProblem(409, `job ${quote(id)} is ${job.state}: only a failed or cancelled job is retried`, {
        state: job.state,
      });
    }
    // The workers claim the jobs of configured destinations only: it would wait for ever.
    const routing = await this.configs.tenant(tenant);
    if (!routing.destinations.some((d) => d.id === job.destinationId)) {
      throw new HttpProblem(409, `job ${quote(id)} sends to destination ${quote(job.destinationId)}, which is gone`);
    }
    const retried = await this.store.retryJob(tenant, id, new Date().toISOString());
    if (retried?.state !== 'pending') {
      throw new HttpProblem(409, `job ${quote(id)} is ${retried?.state ?? 'gone'}: it changed meanwhile`);
    }
    this.runtime.wake();
    this.logger.info({ tenantId: tenant, jobId: id, destinationId: job.destinationId }, 'forward job retried');
    await sendJson(reply, 200, { job: jobView(retried) });
  }

  @AuditedRoute({ kind: 'change', configuration: 'software' })
  @Post('jobs/:id/cancel')
  async cancel(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Param('id') id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const job = await this.job(tenant, id);
    if (job.state !== 'pending' && job.state !== 'running') {
      throw new HttpProblem(409, `job ${quote(id)} is ${job.state}: only a pending or running job is cancelled`, {
        state: job.state,
      });
    }
    const cancelled = await this.store.cancelJob(tenant, id, new Date().toISOString());
    if (cancelled?.state !== 'cancelled') {
      throw new HttpProblem(409, `job ${quote(id)} is ${cancelled?.state ?? 'gone'}: it changed meanwhile`);
    }
    this.logger.info({ tenantId: tenant, jobId: id, destinationId: job.destinationId }, 'forward job cancelled');
    await sendJson(reply, 200, { job: jobView(cancelled) });
  }

  @AuditedRoute({ kind: 'transfer' })
  @Post('forward')
  async forward(
    @Param('tenant', TenantIdPipe) tenant: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { destinationId, scope } = parseManualForward(
      jsonObjectBody(
        request,
        '{"destinationId": ..., "studyInstanceUid": ..., "seriesInstanceUid"?, "sopInstanceUid"?}',
      ),
    );
    const job = await this.runtime.planner.manual(tenant, { destinationId, scope });
    this.logger.info(
      { tenantId: tenant, jobId: job.jobId, destinationId, studyInstanceUid: scope.studyInstanceUid },
      'manual forward requested',
    );
    await sendJson(reply, 202, { job: jobView(job) });
  }

  private async job(tenant: string, id: string): Promise<ForwardJob> {
    const job = await this.store.getJob(tenant, id);
    if (!job) throw new HttpProblem(404, `no job ${quote(id)}`);
    return job;
  }
}
