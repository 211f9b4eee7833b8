import { randomUUID } from 'node:crypto';
import type { RouterConfig } from '@pacs/config';
import type { InstanceIndexedEvent, StudyStableEvent } from '@pacs/contracts';
import type { ForwardJob, ForwardJobSpec, ForwardScope, JsonObject, RoutingStore } from '@pacs/routing-store';
import type { RuleTrigger } from '../rule';
import { planForwards } from '../rule-matcher';
import type { RoutingSubject } from '../routing-subject';
import { forwardJobId } from './forward-job-ids';
import type { RoutingConfigService } from './routing-config.service';
import type { RoutingSubjects } from './routing-subjects';
import type { TenantRouting } from './tenant-routing';

/** A forward asked by hand (REST): a study, a series or an instance to one destination. */
export interface ManualForward {
  readonly destinationId: string;
  readonly scope: ForwardScope;
  readonly correlationId?: string;
}

/** A manual forward refused: the destination or what to send is not there. */
export class ManualForwardError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: 'UNKNOWN_DESTINATION' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'ManualForwardError';
  }
}

/**
 * Turns events into forward jobs: the tenant's rules of the event's trigger are evaluated against
 * the instance (`instance.indexed`) or the study (`study.stable`), and each destination they
 * name gets one job, whose id is derived from the event, so that a redelivered event creates
 * nothing more. `onJobCreated` wakes the workers.
 */
export class PlanForwardsUseCase {
  constructor(
    private readonly configs: Pick<RoutingConfigService, 'tenant'>,
    private readonly subjects: RoutingSubjects,
    private readonly store: RoutingStore,
    private readonly config: Pick<RouterConfig, 'maxAttempts'>,
    private readonly onJobCreated: () => void = () => undefined,
  ) {}

  /** The jobs of an indexed instance (rules with the `instance` trigger); resolves with how many were new. */
  async instanceIndexed(event: InstanceIndexedEvent): Promise<number> {
    const routing = await this.configs.tenant(event.tenantId);
    if (!routing.rules.some((rule) => rule.enabled && rule.trigger === 'instance')) return 0;
    const scope = {
      studyInstanceUid: event.studyInstanceUid,
      seriesInstanceUid: event.seriesInstanceUid,
      sopInstanceUid: event.sopInstanceUid,
    };
    const subject = await this.subjects.instance(event.tenantId, scope, event.source);
    if (!subject) return 0; // replaced or deleted since: nothing to send
    return this.createJobs(routing, event, 'instance', subject, scope, (destinationId) =>
      forwardJobId('instance', event.tenantId, destinationId, event.sopInstanceUid, event.version),
    );
  }

  /** The jobs of a stable study (rules with the `study-stable` trigger). */
  async studyStable(event: StudyStableEvent): Promise<number> {
    const routing = await this.configs.tenant(event.tenantId);
    if (!routing.rules.some((rule) => rule.enabled && rule.trigger === 'study-stable')) return 0;
    const subject = await this.subjects.study(event.tenantId, event.studyInstanceUid);
    if (!subject) return 0;
    const scope = { studyInstanceUid: event.studyInstanceUid };
    // The announcement's id is derived from the study's activity: a new quiet period, a new job.
    return this.createJobs(routing, event, 'study-stable', subject, scope, (destinationId) =>
      forwardJobId('study-stable', event.tenantId, destinationId, event.eventId),
    );
  }

  /** A job asked by hand; rejects ManualForwardError when the destination or the scope is unknown. */
  async manual(tenantId: string, request: ManualForward): Promise<ForwardJob> {
    const routing = await this.configs.tenant(tenantId);
    if (!routing.destinations.some((d) => d.id === request.destinationId)) {
      throw new ManualForwardError('UNKNOWN_DESTINATION', `no destination "${request.destinationId}"`);
    }
    const found = await this.subjects.exists(tenantId, request.scope);
    if (!found) throw new ManualForwardError('NOT_FOUND', `nothing stored under ${describeScope(request.scope)}`);
    const correlationId = request.correlationId ?? randomUUID();
    const jobId = randomUUID();
    await this.store.createJob(
      this.spec(tenantId, jobId, request.destinationId, request.scope, 'manual', [], undefined, correlationId),
      new Date().toISOString(),
    );
    this.onJobCreated();
    return (await this.store.getJob(tenantId, jobId))!;
  }

  private async createJobs(
    routing: TenantRouting,
    event: InstanceIndexedEvent | StudyStableEvent,
    trigger: RuleTrigger,
    subject: RoutingSubject,
    scope: ForwardScope,
    idOf: (destinationId: string) => string,
  ): Promise<number> {
    const now = new Date().toISOString();
    let created = 0;
    for (const plan of planForwards(routing.rules, subject, trigger)) {
      const spec = this.spec(
        event.tenantId,
        idOf(plan.destinationId),
        plan.destinationId,
        scope,
        trigger,
        plan.ruleIds,
        plan.modify as JsonObject | undefined,
        event.correlationId,
        event.eventId,
      );
      if ((await this.store.createJob(spec, now)) === 'created') created++;
    }
    if (created > 0) this.onJobCreated();
    return created;
  }

  private spec(
    tenantId: string,
    jobId: string,
    destinationId: string,
    scope: ForwardScope,
    trigger: ForwardJobSpec['trigger'],
    ruleIds: readonly string[],
    modify: JsonObject | undefined,
    correlationId: string,
    causationId?: string,
  ): ForwardJobSpec {
    return {
      jobId,
      tenantId,
      destinationId,
      scope,
      trigger,
      ruleIds,
      ...(modify ? { modify } : {}),
      correlationId,
      ...(causationId ? { causationId } : {}),
      maxAttempts: this.config.maxAttempts,
    };
  }
}

export function describeScope(scope: ForwardScope): string {
  if (scope.sopInstanceUid) return `instance ${scope.sopInstanceUid}`;
  if (scope.seriesInstanceUid) return `series ${scope.seriesInstanceUid}`;
  return `study ${scope.studyInstanceUid}`;
}
