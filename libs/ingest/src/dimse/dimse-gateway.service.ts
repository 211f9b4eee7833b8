import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DicomConfig } from '@pacs/config';
import type { DicomDataset } from '@pacs/dicom';
import {
  DimseServer,
  DimseStatus,
  DimseStatusError,
  rejectReasonText,
  type AssociationEnd,
  type AssociationRequest,
  type DimseCommand,
  type DimseRequestContext,
  type DimseRequestHandlers,
  type DimseResult,
  type MovePlan,
} from '@pacs/dimse';
import { LOGGER, type Logger } from '@pacs/observability';
import type { Readable } from 'node:stream';
import { associationEvent, AuditTrail, type AssociationActivity } from '@pacs/audit-records';
import { InstancesTransferredAudit, publishInstancesTransferred } from '../audit/instances-transferred.audit';
import { StoreInstanceError } from '../store/store-instance.errors';
import { StoreInstanceUseCase } from '../store/store-instance.use-case';
import { moveDestinationOf, type MoveDestinationConfig, type Tenant } from '../tenants/tenant';
import { TenantRegistry } from '../tenants/tenant-registry';
import { decideAssociation } from './association-policy';
import { DICOM_CONFIG } from './ingest.tokens';
import { QUERY_RETRIEVE_SCP, type QueryRetrieveScp } from './query-retrieve-scp.port';

/**
 * The DIMSE SCP of the gateway: Verification (C-ECHO) and the Storage SOP classes (C-STORE,
 * PS3.4 B.2.3 statuses) for every tenant, addressed by called AE title; and, when a Query/Retrieve
 * SCP is provided (QUERY_RETRIEVE_SCP, by the query module), C-FIND, C-GET and C-MOVE, whose
 * Move Destinations are the tenant's `moveDestinations`.
 */
@Injectable()
export class DimseGatewayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: DimseServer | undefined;
  private listeningPort: number | undefined;
  /** Association id → correlation id shared by its events, and what it transferred (audit). */
  private readonly associations = new Map<string, { correlationId: string; audit: InstancesTransferredAudit }>();

  constructor(
    @Inject(DICOM_CONFIG) private readonly config: DicomConfig,
    private readonly tenants: TenantRegistry,
    private readonly storeInstance: StoreInstanceUseCase,
    private readonly auditTrail: AuditTrail,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(QUERY_RETRIEVE_SCP) private readonly queryRetrieve: QueryRetrieveScp | null = null,
  ) {}

  /** The DIMSE services this SCP provides (PS3.7), e.g. for the test that checks each is audited. */
  get services(): string[] {
    const names: Record<string, string> = {
      onCEcho: 'C-ECHO',
      onCStore: 'C-STORE',
      onCFind: 'C-FIND',
      onCGet: 'C-GET',
      onCMove: 'C-MOVE',
    };
    return Object.keys({ onCEcho: true, onCStore: true, ...this.queryRetrieveHandlers() }).map(
      (key) => names[key] ?? key,
    );
  }

  /** The port actually listened on (differs from the configured one when that was 0). */
  get port(): number | undefined {
    return this.listeningPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const logger = this.logger.child({ component: 'dimse' });
    this.server = new DimseServer({
      host: this.config.host,
      port: this.config.port,
      ...(this.config.tls
        ? {
            tls: {
              cert: readFileSync(this.config.tls.certFile),
              key: readFileSync(this.config.tls.keyFile),
              ...(this.config.tls.caFile ? { ca: readFileSync(this.config.tls.caFile), requestCert: true } : {}),
            },
          }
        : {}),
      logger,
      onAssociationRequest: async (request: AssociationRequest) => {
        const { decision } = decideAssociation(request, this.tenants, {
          acceptUnknownSopClasses: this.config.acceptUnknownSopClasses,
          queryRetrieve: this.queryRetrieve !== null,
        });
        if ('reject' in decision) {
          // A node that may not associate is a failed log-on (PS3.15 A.5.3.12); an unknown called
          // AE title belongs to no tenant, so the PACS's own (default) tenant records it.
          this.auditAssociation(
            {
              tenantId: this.tenants.byCalledAeTitle(request.calledAeTitle)?.id ?? this.tenants.defaultTenantId,
              correlationId: `dimse-${randomUUID()}`,
              callingAeTitle: request.callingAeTitle,
              calledAeTitle: request.calledAeTitle,
              remoteAddress: request.remoteAddress,
            },
            { kind: 'rejected', reason: rejectReasonText(decision.reject) },
          );
          logger.warn(
            {
              callingAeTitle: request.callingAeTitle,
              calledAeTitle: request.calledAeTitle,
              remoteAddress: request.remoteAddress,
              reason: decision.reject.reason,
            },
            'association rejected',
          );
        }
        return decision;
      },
      onCEcho: () => DimseStatus.Success,
      onCStore: (ctx, command, dataset) => this.onCStore(ctx, command, dataset),
      ...this.queryRetrieveHandlers(),
    });
    this.server.on('associationEstablished', ({ association }) => {
      const correlationId = `dimse-${randomUUID()}`;
      this.associations.set(association.id, { correlationId, audit: new InstancesTransferredAudit() });
      const tenant = this.tenants.byCalledAeTitle(association.calledAeTitle);
      if (tenant)
        this.auditAssociation({ tenantId: tenant.id, correlationId, ...association }, { kind: 'established' });
      logger.info(
        {
          associationId: association.id,
          callingAeTitle: association.callingAeTitle,
          calledAeTitle: association.calledAeTitle,
          remoteAddress: association.remoteAddress,
        },
        'association established',
      );
    });
    for (const event of ['associationReleased', 'associationAborted'] as const) {
      this.server.on(event, ({ association, stats, end }) => {
        const state = this.associations.get(association.id);
        this.associations.delete(association.id);
        const tenant = this.tenants.byCalledAeTitle(association.calledAeTitle);
        if (state && tenant) {
          // What the association transferred, then its log-off: in that order on the trail.
          publishInstancesTransferred(
            this.auditTrail,
            state.audit,
            {
              tenantId: tenant.id,
              correlationId: state.correlationId,
              sourceUserId: association.callingAeTitle.trim(),
              sourceAddress: association.remoteAddress,
              destinationUserId: association.calledAeTitle.trim(),
            },
            'gateway',
          )
            .catch((error: unknown) =>
              logger.error(
                { err: error, associationId: association.id, tenantId: tenant.id },
                'audit event not published',
              ),
            )
            .finally(() =>
              this.auditAssociation(
                { tenantId: tenant.id, correlationId: state.correlationId, ...association },
                event === 'associationReleased' ? { kind: 'released' } : { kind: 'aborted', reason: abortReason(end) },
              ),
            );
        }
        logger.info({ associationId: association.id, end, requests: stats.requestsReceived }, 'association ended');
      });
    }
    this.listeningPort = (await this.server.listen()).port;
    logger.info(
      {
        host: this.config.host,
        port: this.listeningPort,
        tls: this.config.tls !== undefined,
        aeTitle: this.config.aeTitle,
      },
      'DIMSE listening',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server?.close({ timeoutMs: 10_000 });
  }

  private auditAssociation(
    association: {
      tenantId: string;
      correlationId: string;
      callingAeTitle: string;
      calledAeTitle: string;
      remoteAddress?: string;
    },
    activity: AssociationActivity,
  ): void {
    this.auditTrail.publish([
      associationEvent(
        {
          tenantId: association.tenantId,
          correlationId: association.correlationId,
          service: 'gateway',
          callingAeTitle: association.callingAeTitle,
          calledAeTitle: association.calledAeTitle,
          ...(association.remoteAddress ? { remoteAddress: association.remoteAddress } : {}),
        },
        activity,
        new Date(),
      ),
    ]);
  }

  /** C-FIND, C-GET and C-MOVE, handed to the Query/Retrieve SCP with the tenant of the called AE title. */
  private queryRetrieveHandlers(): Pick<DimseRequestHandlers, 'onCFind' | 'onCGet' | 'onCMove'> {
    const scp = this.queryRetrieve;
    if (!scp) return {};
    const request = (ctx: DimseRequestContext, command: DimseCommand, identifier: DicomDataset) => ({
      tenant: this.tenantOf(ctx),
      ctx,
      command,
      identifier,
    });
    return {
      onCFind: (ctx, command, identifier) => scp.find(request(ctx, command, identifier)),
      onCGet: (ctx, command, identifier) => scp.retrieve(request(ctx, command, identifier)),
      onCMove: async (ctx, command, identifier): Promise<MovePlan> => {
        const tenant = this.tenantOf(ctx);
        const aeTitle = command.moveDestination ?? '';
        const destination = moveDestinationOf(tenant, aeTitle);
        // PS3.4 C.4.2.1.5: the Move Destination is not one this tenant may send to (the SCP logs
        // and audits the refusal).
        if (!destination) {
          const failure = `move destination "${aeTitle}" unknown`;
          scp.refused({ tenant, ctx, command, identifier }, failure);
          throw new DimseStatusError(DimseStatus.MoveDestinationUnknown, failure);
        }
        const plan = await scp.retrieve({ tenant, ctx, command, identifier });
        return {
          ...plan,
          destination: {
            aeTitle: destination.aeTitle,
            host: destination.host,
            port: destination.port,
            ...(destination.tls ? { tls: this.clientTls(destination) } : {}),
          },
        };
      },
    };
  }

  /** The tenant of the association (accepted only for a known called AE title, association-policy.ts). */
  private tenantOf(ctx: DimseRequestContext): Tenant {
    const tenant = this.tenants.byCalledAeTitle(ctx.association.info.calledAeTitle);
    if (!tenant) throw new DimseStatusError(DimseStatus.UnableToProcessInternalError, 'no tenant for this association');
    return tenant;
  }

  /**
   * TLS to a C-MOVE destination (PS3.15 B.1): the listener's certificate and key as client
   * certificate, its CA file (else the system's) to check the destination's certificate.
   */
  private clientTls(destination: MoveDestinationConfig): ConnectionOptions {
    const tls = this.config.tls;
    return {
      ...(tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : {}),
      ...(tls?.caFile ? { ca: readFileSync(tls.caFile) } : {}),
      ...(isIP(destination.host) === 0 ? { servername: destination.host } : {}),
    };
  }

  private async onCStore(ctx: DimseRequestContext, command: DimseCommand, dataset: Readable): Promise<DimseResult> {
    const { info } = ctx.association;
    // The association was accepted only for a known called AE title (association-policy.ts).
    const tenant = this.tenants.byCalledAeTitle(info.calledAeTitle);
    if (!tenant) return { status: DimseStatus.ProcessingFailure, errorComment: 'no tenant for this association' };
    const audit = this.associations.get(info.id)?.audit;
    try {
      const stored = await this.storeInstance.execute({
        tenant,
        source: {
          protocol: 'DIMSE',
          callingAeTitle: info.callingAeTitle.trim(),
          calledAeTitle: info.calledAeTitle.trim(),
          remoteAddress: info.remoteAddress,
        },
        correlationId: this.associations.get(info.id)?.correlationId ?? `dimse-${info.id}`,
        body: {
          kind: 'dataset',
          transferSyntaxUid: ctx.presentationContext.transferSyntax,
          sopClassUid: command.affectedSopClassUid ?? '',
          sopInstanceUid: command.affectedSopInstanceUid ?? '',
          stream: dataset,
        },
      });
      audit?.recordStored(stored);
      return { status: DimseStatus.Success };
    } catch (error) {
      const failure = error instanceof StoreInstanceError ? error : undefined;
      audit?.recordFailure(failure?.message ?? 'processing failure');
      this.logger.warn(
        {
          err: error,
          tenantId: tenant.id,
          callingAeTitle: info.callingAeTitle.trim(),
          sopInstanceUid: command.affectedSopInstanceUid,
          status: failure?.dimseStatus,
        },
        'C-STORE failed',
      );
      return {
        status: failure?.dimseStatus ?? DimseStatus.ProcessingFailure,
        // Error Comment (0000,0902) is LO: at most 64 characters (PS3.7 C.4).
        errorComment: (failure?.message ?? 'processing failure').slice(0, 64),
      };
    }
  }
}

/** Who aborted the association, in words, for its audit record. */
function abortReason(end: AssociationEnd | undefined): string {
  if (!end || end.kind !== 'aborted') return 'aborted';
  return end.by === 'peer' ? 'A-ABORT from the peer' : end.by === 'local' ? 'aborted by this PACS' : 'connection lost';
}
