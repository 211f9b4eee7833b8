import { Module, type DynamicModule } from '@nestjs/common';

/** The reports service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class ReportsAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: ReportsAppModule, imports: [platform] };
  }
}
