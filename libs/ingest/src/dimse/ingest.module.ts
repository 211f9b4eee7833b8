import { Module, type DynamicModule } from '@nestjs/common';
import { AuditTrail } from '@pacs/audit-records';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { CACHE, type Cache } from '@pacs/cache';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { LOGGER, type Logger } from '@pacs/observability';
import { StoreInstanceUseCase } from '../store/store-instance.use-case';
import type { GatewayConfig } from '../gateway-config';
import { TenantRegistry } from '../tenants/tenant-registry';
import { StoreStudiesUseCase } from '../stow/store-studies.use-case';
import { StowController } from '../stow/stow.controller';
import { DimseGatewayService } from './dimse-gateway.service';
import { DICOM_CONFIG } from './ingest.tokens';

/**
 * The gateway's write path: tenants, the store use case, the DIMSE SCP. Imported by the gateway
 * app and the all-in-one app; needs the platform module (event bus, cache, blob store, logger).
 */
@Module({})
export class IngestModule {
  static register({ dicom, tenants }: GatewayConfig): DynamicModule {
    return {
      module: IngestModule,
      providers: [
        { provide: DICOM_CONFIG, useValue: dicom },
        { provide: TenantRegistry, useValue: tenants },
        {
          provide: StoreInstanceUseCase,
          inject: [BLOB_STORE, EVENT_BUS, CACHE],
          useFactory: (blobStore: BlobStore, eventBus: EventBus, cache: Cache) =>
            new StoreInstanceUseCase({ blobStore, eventBus, cache }),
        },
        {
          provide: StoreStudiesUseCase,
          inject: [StoreInstanceUseCase, AuditTrail, LOGGER],
          useFactory: (storeInstance: StoreInstanceUseCase, auditTrail: AuditTrail, logger: Logger) =>
            new StoreStudiesUseCase(storeInstance, auditTrail, (error) =>
              logger.error({ err: error }, 'audit event not published'),
            ),
        },
        DimseGatewayService,
      ],
      controllers: [StowController],
      exports: [TenantRegistry, StoreInstanceUseCase, DimseGatewayService],
    };
  }
}
