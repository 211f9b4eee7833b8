import { Module, type DynamicModule } from '@nestjs/common';
import type { DicomConfig } from '@pacs/config';

/**
 * The all-in-one PACS: every service's module in one process on the embedded adapters. The
 * service modules (ingest, index, storage, reports, routing, audit) join here as they are built.
 */
@Module({})
export class PacsAppModule {
  static register(platform: DynamicModule, _dicom: DicomConfig): DynamicModule {
    return { module: PacsAppModule, imports: [platform] };
  }
}
