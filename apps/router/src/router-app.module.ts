import { Module, type DynamicModule } from '@nestjs/common';

/** The router service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class RouterAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: RouterAppModule, imports: [platform] };
  }
}
