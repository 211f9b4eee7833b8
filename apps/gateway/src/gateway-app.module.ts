import { Module, type DynamicModule } from '@nestjs/common';
import { IngestModule, type GatewayConfig } from '@pacs/ingest';
import { QueryModule } from '@pacs/query';

/** The gateway alone (distributed shape): the DICOM edge (DIMSE, STOW-RS, QIDO-RS on the shared metadata index). */
@Module({})
export class GatewayAppModule {
  static register(platform: DynamicModule, gateway: GatewayConfig): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [platform, IngestModule.register(gateway), QueryModule.register(gateway)],
    };
  }
}
