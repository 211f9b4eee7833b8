import { Module, type DynamicModule } from '@nestjs/common';
import { IndexerModule } from '@pacs/index';

/** The indexer service alone (distributed shape): consumes instance.stored into the metadata index. */
@Module({})
export class IndexerAppModule {
  static register(platform: DynamicModule): DynamicModule {
    return { module: IndexerAppModule, imports: [platform, IndexerModule] };
  }
}
