import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import { PublicRoute } from '@pacs/identity';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { METRICS } from './platform.tokens';
import { ReadinessService } from './readiness.service';

/**
 * Liveness, readiness (Kubernetes probes) and Prometheus metrics, on every app; public: probes and
 * scrapers carry no credentials.
 */
@Controller()
@PublicRoute()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    @Inject(METRICS) private readonly metrics: Registry,
  ) {}

  /** The process runs its event loop. */
  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when every adapter is connected and every consumer has joined; 503 otherwise. */
  @Get('health/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.readiness.check();
    await reply
      .status(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not-ready', checks: report.checks });
  }

  /** Prometheus text exposition. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
