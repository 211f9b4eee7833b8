import { randomUUID } from 'node:crypto';
import { InstanceIndexedV1, type InstanceStoredEvent } from '@pacs/contracts';
import type { DicomJsonDataset } from '@pacs/dicom';
import type { EventBus } from '@pacs/event-bus';
import type { MetadataIndex, UpsertOutcome } from '@pacs/metadata-index';

/**
 * Indexes one `instance.stored` event, then announces `instance.indexed`: the instance is
 * queryable. Idempotent: a redelivered event changes nothing in the index and announces again
 * (consumers of `instance.indexed` are idempotent too).
 */
export class IndexInstanceUseCase {
  constructor(
    private readonly index: MetadataIndex,
    private readonly eventBus: EventBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(event: InstanceStoredEvent): Promise<UpsertOutcome> {
    const attributes = event.attributes as DicomJsonDataset;
    const outcome = await this.index.upsertInstance({
      tenantId: event.tenantId,
      studyInstanceUid: event.studyInstanceUid,
      seriesInstanceUid: event.seriesInstanceUid,
      sopInstanceUid: event.sopInstanceUid,
      sopClassUid: event.sopClassUid,
      transferSyntaxUid: event.transferSyntaxUid,
      version: event.version,
      blob: event.blob,
      attributes,
    });
    const patientId = attributes['00100020']?.Value?.[0];
    const modality = attributes['00080060']?.Value?.[0];
    await this.eventBus.publish(InstanceIndexedV1, {
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
    });
    return outcome;
  }
}
