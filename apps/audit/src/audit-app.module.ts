import { Module, type DynamicModule } from '@nestjs/common';

/** The audit service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class AuditAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: AuditAppModule, imports: [platform] };
  }
}
