import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@pacs/routing';

/** The router service alone (distributed shape): forwarding rules, destinations and forward jobs. */
@Module({})
export class RouterAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: RouterAppModule, imports: [platform, RouterModule] };
  }
}
