import { Module, type DynamicModule } from '@nestjs/common';

/** The gateway service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class GatewayAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: GatewayAppModule, imports: [platform] };
  }
}
