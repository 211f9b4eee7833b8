import { Module, type DynamicModule } from '@nestjs/common';
import { IngestModule, type GatewayConfig } from '@pacs/ingest';

/** The gateway alone (distributed shape): the DICOM edge, DIMSE now, DICOMweb as it is built. */
@Module({})
export class GatewayAppModule {
  static register(platform: DynamicModule, gateway: GatewayConfig): DynamicModule {
    return { module: GatewayAppModule, imports: [platform, IngestModule.register(gateway)] };
  }
}
