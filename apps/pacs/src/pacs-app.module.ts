import { Module, type DynamicModule } from '@nestjs/common';
import { IngestModule, type GatewayConfig } from '@pacs/ingest';

/**
 * The all-in-one PACS: every service's module in one process on the embedded adapters. Ingest
 * (DIMSE C-ECHO/C-STORE) is here; index, storage, reports, routing and audit join as they are built.
 */
@Module({})
export class PacsAppModule {
  static register(platform: DynamicModule, gateway: GatewayConfig): DynamicModule {
    return { module: PacsAppModule, imports: [platform, IngestModule.register(gateway)] };
  }
}
