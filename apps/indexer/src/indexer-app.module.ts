import { Module, type DynamicModule } from '@nestjs/common';

/** The indexer service alone (distributed shape): the platform now, its service module as it is built. */
@Module({})
export class IndexerAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: IndexerAppModule, imports: [platform] };
  }
}
