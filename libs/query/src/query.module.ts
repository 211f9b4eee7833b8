import { Module, type DynamicModule } from '@nestjs/common';
import { TenantRegistry } from '@pacs/ingest';
import { QidoController } from './qido.controller';

/** The gateway's read path: QIDO-RS (more to come: WADO-RS, WADO-URI, C-FIND, C-MOVE, C-GET). */
@Module({})
export class QueryModule {
  static register({ tenants }: { tenants: TenantRegistry }): DynamicModule {
    return {
      module: QueryModule,
      providers: [{ provide: TenantRegistry, useValue: tenants }],
      controllers: [QidoController],
    };
  }
}
