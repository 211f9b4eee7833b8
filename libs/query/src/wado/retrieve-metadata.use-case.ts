import { Readable } from 'node:stream';
import type { Logger } from '@pacs/observability';
import { coversMediaType, describeAccept, parseAccept } from './accept-header';
import { withAbsoluteBulkDataUris } from './bulkdata-uri';
import { ifNoneMatchHits, metadataEntityTag } from './entity-tag';
import type { InstanceCatalog } from './instance-catalog';
import type { WadoResponse } from './wado-response';
import { WadoProblem } from './wado-problem';
import { describeTarget, instanceUrl, type WadoTarget } from './wado-target';

const DICOM_JSON = 'application/dicom+json';

/**
 * WADO-RS Retrieve Metadata (PS3.18 10.4.1.1.2 and 8.7.3.2, Table 8.7.3-3 metadata media types)
 * of a study, series or instance: a JSON array of the instances' data sets in the DICOM JSON Model
 * (PS3.18 F.2), each BulkDataURI absolute. The array is written as the index lists the instances,
 * one data set at a time, so the first byte leaves at once and memory does not grow with the study.
 *
 * Caching: the ETag is computed from the version and SHA-256 of each instance in scope (a cheap
 * listing before the body); If-None-Match with it answers 304 without a body (RFC 9110 13.1.2).
 */
export class RetrieveMetadataUseCase {
  constructor(
    private readonly catalog: InstanceCatalog,
    private readonly logger: Logger,
  ) {}

  async execute(
    target: WadoTarget,
    accept: string | undefined,
    ifNoneMatch: string | undefined,
  ): Promise<WadoResponse> {
    const acceptable = parseAccept(accept).some(
      (range) => coversMediaType(range.mediaType, DICOM_JSON) || range.mediaType === 'application/json',
    );
    if (!acceptable) {
      throw new WadoProblem(
        406,
        `Accept ${describeAccept(accept)} does not allow application/dicom+json, the metadata media type this server sends (application/dicom+xml is not supported)`,
      );
    }
    const etag = await metadataEntityTag(this.catalog.list(target));
    if (etag === undefined) throw new WadoProblem(404, `no ${describeTarget(target)}`);
    const headers = { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept' };
    if (ifNoneMatchHits(ifNoneMatch, etag)) return { status: 304, headers };
    return {
      status: 200,
      headers: { ...headers, 'Content-Type': `${DICOM_JSON}; charset=utf-8` },
      body: Readable.from(this.json(target), { objectMode: false }),
    };
  }

  private async *json(target: WadoTarget): AsyncIterable<Buffer> {
    let first = true;
    try {
      for await (const { instance, metadata } of this.catalog.metadata(target)) {
        const dataset = withAbsoluteBulkDataUris(metadata, instanceUrl(target.baseUrl, instance));
        yield Buffer.from(`${first ? '[' : ','}${JSON.stringify(dataset)}`, 'utf8');
        first = false;
      }
    } catch (error) {
      this.logger.warn(
        { err: error, tenantId: target.tenantId, studyInstanceUid: target.studyInstanceUid },
        'WADO-RS metadata cut short',
      );
      throw error;
    }
    yield Buffer.from(first ? '[]' : ']', 'utf8');
  }
}
