import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { DicomConfig } from '@pacs/config';
import {
  DimseServer,
  DimseStatus,
  type AssociationRequest,
  type DimseCommand,
  type DimseRequestContext,
  type DimseResult,
} from '@pacs/dimse';
import { LOGGER, type Logger } from '@pacs/observability';
import type { Readable } from 'node:stream';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { InstancesTransferredAudit, publishInstancesTransferred } from '../audit/instances-transferred.audit';
import { StoreInstanceError } from '../store/store-instance.errors';
import { StoreInstanceUseCase } from '../store/store-instance.use-case';
import { TenantRegistry } from '../tenants/tenant-registry';
import { decideAssociation } from './association-policy';
import { DICOM_CONFIG } from './ingest.tokens';

/**
 * The DIMSE SCP of the gateway: Verification (C-ECHO) and the Storage SOP classes (C-STORE,
 * PS3.4 B.2.3 statuses) for every tenant, addressed by called AE title.
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
        const { decision } = decideAssociation(request, this.tenants, this.config);
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
