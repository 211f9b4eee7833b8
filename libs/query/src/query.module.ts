import { Module, type DynamicModule } from '@nestjs/common';
import { TenantRegistry } from '@pacs/ingest';
import { DimseQueryRetrieveModule } from './dimse/dimse-query-retrieve.module';
import { QidoController } from './qido.controller';
import { WADO_RS_CONTROLLERS } from './wado';
import { WadoRequests } from './wado/wado-requests';
import { WadoUriController } from './wado-uri';

/**
 * The gateway's read path: QIDO-RS, WADO-RS, WADO-URI, and the DIMSE Query/Retrieve SCP (C-FIND,
 * C-MOVE, C-GET), each query and retrieve recorded on the audit trail (`audit.event`).
 */
@Module({})
export class QueryModule {
  static register({ tenants }: { tenants: TenantRegistry }): DynamicModule {
    return {
      module: QueryModule,
      imports: [DimseQueryRetrieveModule],
      providers: [{ provide: TenantRegistry, useValue: tenants }, WadoRequests],
      controllers: [QidoController, ...WADO_RS_CONTROLLERS, WadoUriController],
    };
  }
}
