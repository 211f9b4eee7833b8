import { randomUUID } from 'node:crypto';
import { InstanceIndexedV1, type InstanceStoredEvent } from '@pacs/contracts';
import type { DicomJsonDataset } from '@pacs/dicom';
import type { EventBus } from '@pacs/event-bus';
import type { MetadataIndex, UpsertOutcome } from '@pacs/metadata-index';
import type { StoredCopy } from './metadata/instance-metadata.reader';

/** Where the use case gets an instance's metadata from (InstanceMetadataReader). */
export interface InstanceMetadataSource {
  /** The whole data set in DICOM JSON; rejects when the copy cannot be read. */
  read(copy: StoredCopy): Promise<DicomJsonDataset>;
}

/** What the indexer logs through: a constant message plus a context object (pino-compatible). */
export interface IndexerLogger {
  /** Something degraded that an operator may look at; the system goes on. */
  warn(context: Record<string, unknown>, message: string): void;
}

export interface ExecuteOptions {
  /**
   * The bus will not deliver these events again: a copy that cannot be read for a reason that may
   * pass (a retriable blob store error) is then indexed without its metadata rather than failing.
   */
  readonly lastAttempt?: boolean;
}

export interface IndexInstanceDeps {
  readonly metadata: InstanceMetadataSource;
  readonly logger: IndexerLogger;
  readonly now?: () => Date;
}

/**
 * Indexes `instance.stored` events, then announces `instance.indexed` for each: the instance is
 * queryable. The index gets each event's index attributes and the whole data set read from the
 * stored copy (its metadata, for WADO-RS); when a copy cannot be read (damaged, or unreadable
 * on the last attempt), it is indexed without metadata (still queryable; the index attributes
 * stand in) and a warning is logged; a failure that may pass rejects, for the bus to retry. Idempotent: a
 * redelivered event changes nothing in the index and announces again (consumers of
 * `instance.indexed` are idempotent too).
 */
export class IndexInstanceUseCase {
  private readonly now: () => Date;

  constructor(
    private readonly index: MetadataIndex,
    private readonly eventBus: EventBus,
    private readonly deps: IndexInstanceDeps,
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  async execute(event: InstanceStoredEvent, options: ExecuteOptions = {}): Promise<UpsertOutcome> {
    const [outcome] = await this.executeBatch([event], options);
    return outcome!;
  }

  /**
   * Indexes the events in the order given, in one write of the index (one transaction and one sync
   * where the index has them), then publishes their announcements together: a batch costs about
   * what one event costs, which keeps the indexer ahead of a modality sending a study. Rejects as a
   * whole (nothing announced) when the index refuses one of them.
   */
  async executeBatch(events: readonly InstanceStoredEvent[], options: ExecuteOptions = {}): Promise<UpsertOutcome[]> {
    const metadata = await Promise.all(events.map((event) => this.readMetadata(event, options)));
    const indexedAt = this.now().toISOString();
    const outcomes = await this.index.upsertInstances(
      events.map((event, i) => ({
        tenantId: event.tenantId,
        studyInstanceUid: event.studyInstanceUid,
        seriesInstanceUid: event.seriesInstanceUid,
        sopInstanceUid: event.sopInstanceUid,
        sopClassUid: event.sopClassUid,
        transferSyntaxUid: event.transferSyntaxUid,
        version: event.version,
        blob: event.blob,
        attributes: event.attributes as DicomJsonDataset,
        ...(metadata[i] ? { metadata: metadata[i] } : {}),
        indexedAt,
      })),
    );
    await Promise.all(events.map((event) => this.announce(event)));
    return outcomes;
  }

  private announce(event: InstanceStoredEvent): Promise<void> {
    const attributes = event.attributes as DicomJsonDataset;
    const patientId = attributes['00100020']?.Value?.[0];
    const modality = attributes['00080060']?.Value?.[0];
    return this.eventBus.publish(InstanceIndexedV1, {
      eventId: randomUUID(),
      tenantId: event.tenantId,
      occurredAt: this.now().toISOString(),
      correlationId: event.correlationId,
      causationId: event.eventId,
      studyInstanceUid: event.studyInstanceUid,
      seriesInstanceUid: event.seriesInstanceUid,
      sopInstanceUid: event.sopInstanceUid,
      sopClassUid: event.sopClassUid,
      version: event.version,
      ...(typeof patientId === 'string' ? { patientId } : {}),
      ...(typeof modality === 'string' ? { modality } : {}),
      source: event.source,
    });
  }

  private async readMetadata(
    event: InstanceStoredEvent,
    options: ExecuteOptions,
  ): Promise<DicomJsonDataset | undefined> {
    try {
      return await this.deps.metadata.read(event);
    } catch (error) {
      // Indexed without metadata, a copy stays so: a redelivered event changes nothing. A failure
      // that may pass (the store unreachable) is retried first, by the bus.
      if (isTransient(error) && !options.lastAttempt) {
        throw new Error(`stored copy ${event.blob.key} cannot be read for now: ${describe(error)}`, { cause: error });
      }
      this.deps.logger.warn(
        {
          err: error,
          tenantId: event.tenantId,
          studyInstanceUid: event.studyInstanceUid,
          sopInstanceUid: event.sopInstanceUid,
          blobKey: event.blob.key,
          correlationId: event.correlationId,
        },
        'stored copy unreadable: indexed without metadata',
      );
      return undefined;
    }
  }
}

/** An error that says a retry may help (a BlobStoreError IO_ERROR, say); a parse error says nothing. */
function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
