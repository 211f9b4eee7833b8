import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@pacs/audit';
import type { ServiceConfigs } from '@pacs/platform';
import { IndexerModule } from '@pacs/index';
import { IngestModule, type GatewayConfig } from '@pacs/ingest';
import { QueryModule } from '@pacs/query';
import { RouterModule } from '@pacs/routing';

/**
 * The all-in-one PACS: every service's module in one process on the embedded adapters. Ingest
 * (DIMSE C-ECHO/C-STORE, STOW-RS), the indexer, query/retrieve, the router and the audit service
 * are here; storage and reports join as they are built.
 */
@Module({})
export class PacsAppModule {
  static register(platform: DynamicModule, gateway: GatewayConfig, services: ServiceConfigs): DynamicModule {
    return {
      module: PacsAppModule,
      imports: [
        platform,
        IngestModule.register(gateway),
        IndexerModule,
        QueryModule.register(gateway),
        RouterModule,
        AuditModule.register(services.audit),
      ],
    };
  }
}
