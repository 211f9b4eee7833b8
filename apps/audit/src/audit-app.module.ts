import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@pacs/audit';
import type { ServiceConfigs } from '@pacs/platform';

/** The audit service alone (distributed shape): the audit trail's consumer, API and exports. */
@Module({})
export class AuditAppModule {
  static register(platform: DynamicModule, services: ServiceConfigs): DynamicModule {
    return { module: AuditAppModule, imports: [platform, AuditModule.register(services.audit)] };
  }
}
