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
  type AssociationRequest,
  type DimseCommand,
  type DimseRequestContext,
  type DimseRequestHandlers,
  type DimseResult,
  type MovePlan,
} from '@pacs/dimse';
import { LOGGER, type Logger } from '@pacs/observability';
import type { Readable } from 'node:stream';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
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
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(QUERY_RETRIEVE_SCP) private readonly queryRetrieve: QueryRetrieveScp | null = null,
  ) {}

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
      this.associations.set(association.id, {
        correlationId: `dimse-${randomUUID()}`,
        audit: new InstancesTransferredAudit(),
      });
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
          publishInstancesTransferred(
            this.eventBus,
            state.audit,
            {
              tenantId: tenant.id,
              correlationId: state.correlationId,
              sourceUserId: association.callingAeTitle.trim(),
              sourceAddress: association.remoteAddress,
              destinationUserId: association.calledAeTitle.trim(),
            },
            'gateway',
          ).catch((error: unknown) =>
            logger.error(
              { err: error, associationId: association.id, tenantId: tenant.id },
              'audit event not published',
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
