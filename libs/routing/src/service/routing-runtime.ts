import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { AuditTrail } from '@pacs/audit-records';
import { BLOB_STORE, type BlobStore } from '@pacs/blob-store';
import type { RouterConfig } from '@pacs/config';
import { InstanceIndexedV1, StudyStableV1 } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { METADATA_INDEX, type MetadataIndex } from '@pacs/metadata-index';
import { LOGGER, METRICS, type Logger } from '@pacs/observability';
import { ROUTING_STORE, type RoutingStore } from '@pacs/routing-store';
import type { Registry } from 'prom-client';
import { DimseForwardSender } from '../senders/dimse-forward-sender.adapter';
import { StowRsForwardSender } from '../senders/stow-rs-forward-sender.adapter';
import type { ForwardSender } from '../senders/forward-sender.port';
import { ForwardMetrics } from './forward-metrics';
import { ForwardNotices } from './forward-notices';
import { ForwardWorker } from './forward-worker';
import { PlanForwardsUseCase } from './plan-forwards.use-case';
import { ROUTER_CONFIG } from './router.tokens';
import { RoutingConfigService } from './routing-config.service';
import { RoutingSubjects } from './routing-subjects';
import { RunForwardJobUseCase } from './run-forward-job.use-case';

/** The consumer group of the router on `instance.indexed` and `study.stable`. */
export const ROUTER_GROUP = 'router';

/**
 * The router at work: the planner consuming `instance.indexed` and `study.stable` into forward
 * jobs, and the workers running them (started once the application is up, stopped first at
 * shutdown, before the adapters close).
 */
@Injectable()
export class RoutingRuntime implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly subjects: RoutingSubjects;
  readonly planner: PlanForwardsUseCase;
  private readonly worker: ForwardWorker;

  constructor(
    @Inject(ROUTING_STORE) store: RoutingStore | null,
    @Inject(METADATA_INDEX) index: MetadataIndex | null,
    @Inject(BLOB_STORE) blobStore: BlobStore,
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(METRICS) registry: Registry,
    @Inject(ROUTER_CONFIG) config: RouterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    configs: RoutingConfigService,
    auditTrail: AuditTrail,
  ) {
    if (!store) throw new Error('RouterModule needs the routing store (runApp routingStore: true)');
    if (!index) throw new Error('RouterModule needs the metadata index (runApp metadataIndex: true)');
    const routerLogger = logger.child({ component: 'router' });
    this.subjects = new RoutingSubjects(index);
    const senders = new Map<ForwardSender['kind'], ForwardSender>([
      ['dimse', new DimseForwardSender({ callingAeTitle: config.aeTitle })],
      ['dicomweb', new StowRsForwardSender()],
    ]);
    const runner = new RunForwardJobUseCase({
      store,
      index,
      blobStore,
      configs,
      senders,
      notices: new ForwardNotices(eventBus, auditTrail, config.aeTitle),
      metrics: new ForwardMetrics(registry, store),
      logger: routerLogger,
      config,
    });
    this.worker = new ForwardWorker(store, configs, runner, config, routerLogger);
    this.planner = new PlanForwardsUseCase(configs, this.subjects, store, config, () => this.worker.wake());
  }

  async onModuleInit(): Promise<void> {
    await this.eventBus.subscribe(
      InstanceIndexedV1,
      async ({ value }) => void (await this.planner.instanceIndexed(value)),
      {
        group: ROUTER_GROUP,
      },
    );
    await this.eventBus.subscribe(StudyStableV1, async ({ value }) => void (await this.planner.studyStable(value)), {
      group: ROUTER_GROUP,
    });
  }

  /** Has the workers look for due jobs now (a job was created or retried). */
  wake(): void {
    this.worker.wake();
  }

  onApplicationBootstrap(): void {
    this.worker.start();
    this.logger.info({}, 'forward workers started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.stop();
  }
}
