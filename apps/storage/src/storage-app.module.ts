import { Module, type DynamicModule } from '@nestjs/common';

/** The storage service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class StorageAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: StorageAppModule, imports: [platform] };
  }
}
