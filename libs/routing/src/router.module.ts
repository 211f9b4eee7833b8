import { Module } from '@nestjs/common';
import { loadRouterConfig } from '@pacs/config';
import { RoutingDestinationsController } from './http/routing-destinations.controller';
import { RoutingDryRunController } from './http/routing-dry-run.controller';
import { RoutingJobsController } from './http/routing-jobs.controller';
import { RoutingRulesController } from './http/routing-rules.controller';
import { ROUTER_CONFIG } from './service/router.tokens';
import { RoutingConfigService } from './service/routing-config.service';
import { RoutingRuntime } from './service/routing-runtime';

/**
 * The router service: imported by the router app and the all-in-one app (with the routing store
 * and the metadata index of the platform). It forwards instances and studies to the tenants'
 * destinations by their rules, with durable jobs, and serves `/tenants/{tenant}/routing/...`.
 * Its settings (PACS_ROUTING_FILE, PACS_FORWARD_*) are read from the environment when the module
 * is built; a wrong value fails the start with a ConfigError naming the variable.
 */
@Module({
  controllers: [RoutingDestinationsController, RoutingRulesController, RoutingDryRunController, RoutingJobsController],
  providers: [
    { provide: ROUTER_CONFIG, useFactory: () => loadRouterConfig(process.env) },
    RoutingConfigService,
    RoutingRuntime,
  ],
  exports: [RoutingConfigService, RoutingRuntime],
})
export class RouterModule {}
