import type { Readable } from 'node:stream';
import type { BlobStore } from '@pacs/blob-store';
import type { RouterConfig } from '@pacs/config';
import { computeRetryDelayMs } from '@pacs/event-bus';
import type { MetadataIndex, StoredInstance } from '@pacs/metadata-index';
import type { ForwardError as JobError, ForwardJob, JobClaim, RoutingStore } from '@pacs/routing-store';
import type { Destination } from '../destination';
import type { RuleModification } from '../rule-modification';
import { isForwardError } from '../senders/forward.errors';
import type { ForwardSender, InstanceKind } from '../senders/forward-sender.port';
import type { ForwardMetrics } from './forward-metrics';
import type { ForwardedInstance, ForwardNotices } from './forward-notices';
import { describeScope } from './plan-forwards.use-case';
import type { RoutingConfigService } from './routing-config.service';

/** What the runner logs through (pino-compatible). */
export interface ForwardLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
}

export interface RunForwardJobDeps {
  readonly store: RoutingStore;
  readonly index: MetadataIndex;
  readonly blobStore: BlobStore;
  readonly configs: Pick<RoutingConfigService, 'tenant'>;
  readonly senders: ReadonlyMap<Destination['kind'], ForwardSender>;
  readonly notices: ForwardNotices;
  readonly metrics?: ForwardMetrics;
  readonly logger: ForwardLogger;
  readonly config: Pick<RouterConfig, 'retryBaseMs' | 'retryMaxMs' | 'leaseMs'>;
  readonly random?: () => number;
}

/** A failure that no retry can mend: the job fails at once. */
class PermanentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The claim was lost (lease expired and taken, or the job cancelled): stop, write nothing more. */
const LOST = Symbol('lost');

/** Confirmations are written by this many at most (a crash resends at most these). */
const CONFIRM_BATCH = 10;

/**
 * Runs one attempt of a claimed job: lists what its scope holds in the index, leaves out what the
 * destination confirmed in earlier attempts (a job taken over after a crash does not send those
 * again), sends the rest over one session, records each confirmation and refusal under the claim,
 * and ends the attempt:
 * - every instance confirmed: `completed`, forward.completed;
 * - some refused for good by the destination: `failed` (a dead letter, visible with the refusals
 *   in the API), forward.failed, after the others were sent;
 * - the destination unreachable or failing for a while (a retriable error): `pending` again, due
 *   after an exponential backoff with full jitter (PACS_FORWARD_RETRY_BASE_MS doubling up to
 *   PACS_FORWARD_RETRY_MAX_MS, or the destination's Retry-After), until the job's attempts are
 *   spent: `failed`, forward.failed;
 * - a lost claim (lease expired and taken by another worker, or the job cancelled): stops.
 */
export class RunForwardJobUseCase {
  constructor(private readonly deps: RunForwardJobDeps) {}

  async run(job: ForwardJob): Promise<void> {
    const claim: JobClaim = { tenantId: job.tenantId, jobId: job.jobId, claim: job.lease!.claim };
    const labels = { tenant: job.tenantId, destination: job.destinationId };
    const sent: ForwardedInstance[] = [];
    const rejected: string[] = [];
    let destination: Destination | undefined;
    let problem: string | undefined;
    try {
      destination = (await this.deps.configs.tenant(job.tenantId)).destinations.find((d) => d.id === job.destinationId);
      if (!destination) throw new PermanentFailure('UNKNOWN_DESTINATION', `no destination "${job.destinationId}"`);
      const result = await this.sendAll(job, claim, destination, sent, rejected);
      if (result === LOST) return;
      const after = await this.deps.store.getJob(job.tenantId, job.jobId);
      const refusals = after?.rejected ?? [];
      if (refusals.length > 0) {
        const first = refusals[0]!;
        const error: JobError = {
          code: 'INSTANCES_REJECTED',
          message: `${refusals.length} instance(s) refused by the destination; ${first.sopInstanceUid}: ${first.code} ${first.message}`,
          ...(first.remoteStatus !== undefined ? { remoteStatus: first.remoteStatus } : {}),
        };
        problem = error.message;
        await this.fail(job, claim, error);
      } else if (await this.deps.store.finishJob(claim, { state: 'completed' }, new Date().toISOString())) {
        this.deps.metrics?.job(labels, 'completed');
        await this.deps.notices.completed(job, after?.confirmed ?? sent.length, job.attempts);
        this.deps.logger.info(
          { tenantId: job.tenantId, jobId: job.jobId, destinationId: job.destinationId, sent: sent.length },
          'forward completed',
        );
      }
    } catch (thrown) {
      const error = jobError(thrown);
      problem = error.message;
      const retriable = !(thrown instanceof PermanentFailure) && !(isForwardError(thrown) && !thrown.retriable);
      if (!retriable || job.attempts >= job.maxAttempts) {
        await this.fail(job, claim, error);
      } else {
        const delay = Math.max(
          computeRetryDelayMs(
            job.attempts,
            { retryBackoffMs: this.deps.config.retryBaseMs, maxRetryBackoffMs: this.deps.config.retryMaxMs },
            this.deps.random,
          ),
          (isForwardError(thrown) ? thrown.details.retryAfterMs : undefined) ?? 0,
        );
        const nextAttemptAt = new Date(Date.now() + delay).toISOString();
        if (
          await this.deps.store.finishJob(claim, { state: 'pending', nextAttemptAt, error }, new Date().toISOString())
        ) {
          this.deps.metrics?.job(labels, 'retried');
          this.deps.logger.warn(
            { tenantId: job.tenantId, jobId: job.jobId, attempts: job.attempts, nextAttemptAt, error: error.message },
            'forward attempt failed, retrying later',
          );
        }
      }
    } finally {
      await this.deps.notices.audited(job, destination, { sent, rejected, ...(problem ? { problem } : {}) });
    }
  }

  private async sendAll(
    job: ForwardJob,
    claim: JobClaim,
    destination: Destination,
    sent: ForwardedInstance[],
    rejected: string[],
  ): Promise<void | typeof LOST> {
    const { store, index, metrics } = this.deps;
    const labels = { tenant: job.tenantId, destination: job.destinationId };
    const confirmed = await store.confirmedInstances(job.tenantId, job.jobId);
    const todo: StoredInstance[] = [];
    let total = 0;
    for await (const instance of index.listInstances(job.tenantId, job.scope)) {
      total++;
      if (!confirmed.has(instance.sopInstanceUid)) todo.push(instance);
    }
    if (total === 0) throw new PermanentFailure('NOT_FOUND', `nothing stored under ${describeScope(job.scope)}`);
    if (todo.length === 0) return;
    const sender = this.deps.senders.get(destination.kind);
    if (!sender) throw new PermanentFailure('NO_SENDER', `no sender for ${destination.kind} destinations`);
    const session = await sender.open(destination, kindsOf(todo));
    const unconfirmed: string[] = [];
    const flush = async (): Promise<boolean> => {
      if (unconfirmed.length === 0) return true;
      const ok = await store.confirmInstances(claim, unconfirmed.splice(0));
      return ok;
    };
    let renewedAt = Date.now();
    try {
      for (const instance of todo) {
        if (Date.now() - renewedAt > this.deps.config.leaseMs / 3) {
          if (!(await flush())) return LOST;
          const until = new Date(Date.now() + this.deps.config.leaseMs).toISOString();
          if (!(await store.renewLease(claim, until))) return LOST;
          renewedAt = Date.now();
        }
        const started = performance.now();
        const outcome = await session.send(
          {
            sopClassUid: instance.sopClassUid,
            sopInstanceUid: instance.sopInstanceUid,
            transferSyntaxUid: instance.transferSyntaxUid,
            open: () => this.read(instance.blob.key),
          },
          job.modify as RuleModification | undefined,
        );
        const seconds = (performance.now() - started) / 1000;
        if (outcome.kind === 'confirmed') {
          metrics?.instance(labels, 'confirmed', seconds);
          sent.push(forwarded(instance));
          unconfirmed.push(instance.sopInstanceUid);
          if (unconfirmed.length >= CONFIRM_BATCH && !(await flush())) return LOST;
        } else {
          metrics?.instance(labels, 'rejected', seconds);
          rejected.push(instance.sopInstanceUid);
          if (!(await flush())) return LOST;
          const recorded = await store.rejectInstance(claim, {
            sopInstanceUid: instance.sopInstanceUid,
            code: outcome.code,
            message: outcome.message,
            ...(outcome.remoteStatus !== undefined ? { remoteStatus: outcome.remoteStatus } : {}),
          });
          if (!recorded) return LOST;
        }
      }
      if (!(await flush())) return LOST;
    } catch (error) {
      // What was confirmed before the failure is kept: the next attempt does not resend it.
      await flush().catch(() => false);
      throw error;
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  private async fail(job: ForwardJob, claim: JobClaim, error: JobError): Promise<void> {
    if (!(await this.deps.store.finishJob(claim, { state: 'failed', error }, new Date().toISOString()))) return;
    this.deps.metrics?.job({ tenant: job.tenantId, destination: job.destinationId }, 'failed');
    await this.deps.notices.failed(job, error, job.attempts);
    this.deps.logger.warn(
      { tenantId: job.tenantId, jobId: job.jobId, destinationId: job.destinationId, error: error.message },
      'forward failed: dead-lettered',
    );
  }

  private async read(key: string): Promise<Buffer> {
    const stream: Readable = await this.deps.blobStore.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

function kindsOf(instances: readonly StoredInstance[]): InstanceKind[] {
  const kinds = new Map<string, InstanceKind>();
  for (const { sopClassUid, transferSyntaxUid } of instances) {
    kinds.set(`${sopClassUid} ${transferSyntaxUid}`, { sopClassUid, transferSyntaxUid });
  }
  return [...kinds.values()];
}

function forwarded(instance: StoredInstance): ForwardedInstance {
  const patientId = instance.attributes['00100020']?.Value?.[0];
  const name = instance.attributes['00100010']?.Value?.[0];
  const patientName = typeof name === 'object' && name !== null && 'Alphabetic' in name ? name.Alphabetic : undefined;
  return {
    studyInstanceUid: instance.studyInstanceUid,
    sopClassUid: instance.sopClassUid,
    ...(typeof patientId === 'string' ? { patientId } : {}),
    ...(typeof patientName === 'string' ? { patientName } : {}),
  };
}

function jobError(error: unknown): JobError {
  if (error instanceof PermanentFailure) return { code: error.code, message: error.message };
  if (isForwardError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.remoteStatus !== undefined ? { remoteStatus: error.remoteStatus } : {}),
    };
  }
  return { code: 'FORWARD_FAILED', message: error instanceof Error ? error.message : String(error) };
}
