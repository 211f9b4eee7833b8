import { Global, Module } from '@nestjs/common';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import { QUERY_RETRIEVE_SCP } from '@pacs/ingest';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, type Logger } from '@pacs/observability';
import { AuditTrail } from '@pacs/audit-records';
import { DimseQueryRetrieveAuditTrail } from './query-retrieve-audit-trail';
import { QUERY_RETRIEVE_AUDIT, type QueryRetrieveAudit } from './query-retrieve-audit.port';
import { QueryRetrieveService } from './query-retrieve.service';

/**
 * Provides QUERY_RETRIEVE_SCP, which the gateway's DIMSE service (ingest) takes when present:
 * global, because ingest cannot import this module (services never import each other's libs; the
 * query lib depends on ingest, not the reverse). Without a metadata index it provides null, and the
 * gateway then refuses the Query/Retrieve SOP classes at association. Its audit hook
 * (QUERY_RETRIEVE_AUDIT) publishes on the audit trail.
 */
@Global()
@Module({
  providers: [
    {
      provide: QUERY_RETRIEVE_AUDIT,
      inject: [AuditTrail],
      useFactory: (trail: AuditTrail): QueryRetrieveAudit => new DimseQueryRetrieveAuditTrail(trail),
    },
    {
      provide: QUERY_RETRIEVE_SCP,
      inject: [METADATA_INDEX, BLOB_STORE, LOGGER, { token: QUERY_RETRIEVE_AUDIT, optional: true }],
      useFactory: (
        index: MetadataIndex | null,
        blobStore: BlobStore,
        logger: Logger,
        audit: QueryRetrieveAudit | undefined,
      ): QueryRetrieveService | null =>
        index
          ? new QueryRetrieveService({
              index,
              blobStore,
              logger: logger.child({ component: 'dimse-qr' }),
              audit: audit ?? null,
            })
          : null,
    },
  ],
  exports: [QUERY_RETRIEVE_SCP],
})
export class DimseQueryRetrieveModule {}
