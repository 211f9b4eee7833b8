import { Module, type DynamicModule } from '@nestjs/common';
import { IndexerModule } from '@pacs/index';
import { IngestModule, type GatewayConfig } from '@pacs/ingest';
import { QueryModule } from '@pacs/query';
import { RouterModule } from '@pacs/routing';

/**
 * The all-in-one PACS: every service's module in one process on the embedded adapters. Ingest
 * (DIMSE C-ECHO/C-STORE, STOW-RS), the indexer, query/retrieve and the router are here; storage,
 * reports and audit join as they are built.
 */
@Module({})
export class PacsAppModule {
  static register(platform: DynamicModule, gateway: GatewayConfig): DynamicModule {
    return {
      module: PacsAppModule,
      imports: [platform, IngestModule.register(gateway), IndexerModule, QueryModule.register(gateway), RouterModule],
    };
  }
}
