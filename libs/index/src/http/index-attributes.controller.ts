import { Controller, Get, Inject, Param, Put, Req, Res } from '@nestjs/common';
import { tenantIdSchema } from '@pacs/contracts';
import { Access, AuditedRoute } from '@pacs/identity';
import {
  METADATA_INDEX,
  MetadataIndexError,
  type ExtraAttributes,
  type MetadataIndex,
  type ReindexJob,
} from '@pacs/metadata-index';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendJson, sendProblem } from './problem';

/** A tenant's extra attributes as the API answers them: each can be PUT back as it is. */
export interface ExtraAttributesBody {
  readonly generation: number;
  readonly attributes: readonly { attribute: string; tag: string; vr: string; level: string }[];
  /** The job giving the copies indexed before this generation its attributes. */
  readonly reindexJob?: { readonly id: string; readonly url: string };
}

/**
 * A tenant's extra indexed attributes (MetadataIndex.setExtraAttributes), under
 * `/tenants/{tenant}/index`:
 * - `GET attributes`: the list, its generation and its reindex job;
 * - `PUT attributes` with `{"attributes": [{"attribute": "ProtocolName", "level": "series"}, ...]}`
 *   (a keyword or a tag in hex, and study, series or instance): replaces the list and starts its
 *   reindex job; answers as GET. A bad entry is 400 problem+json naming it (`attributes[1]
 *   "ProtocolNam": ...`); a body that is not JSON 415;
 * - `GET reindex/{job}`: the job's progress (state, done and total copies, errors).
 * Every tenant id of the right form is served: the tenants are configured at the gateway.
 */
@Controller('tenants/:tenant/index')
@Access('admin')
export class IndexAttributesController {
  constructor(@Inject(METADATA_INDEX) private readonly index: MetadataIndex | null) {}

  @AuditedRoute({ kind: 'query' })
  @Get('attributes')
  async get(@Param('tenant') tenant: string, @Res() reply: FastifyReply): Promise<void> {
    const index = this.open();
    if (!isTenantId(tenant)) return sendProblem(reply, 404, `no tenant "${tenant}"`);
    await sendJson(reply, 200, bodyOf(tenant, await index.getExtraAttributes(tenant)));
  }

  @AuditedRoute({ kind: 'change', configuration: 'software' })
  @Put('attributes')
  async put(
    @Param('tenant') tenant: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const index = this.open();
    if (!isTenantId(tenant)) return sendProblem(reply, 404, `no tenant "${tenant}"`);
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return sendProblem(reply, 415, 'the list is sent as application/json: {"attributes": [...]}');
    }
    const body = request.body as { attributes?: unknown } | null;
    if (typeof body !== 'object' || body === null || !Array.isArray(body.attributes)) {
      return sendProblem(reply, 400, 'expected {"attributes": [{"attribute": ..., "level": ...}, ...]}');
    }
    let set: { extras: ExtraAttributes; job: ReindexJob };
    try {
      set = await index.setExtraAttributes(tenant, body.attributes);
    } catch (error) {
      if (error instanceof MetadataIndexError && error.code === 'INVALID_ARGUMENT') {
        return sendProblem(reply, 400, error.message);
      }
      throw error;
    }
    await sendJson(reply, 200, bodyOf(tenant, set.extras));
  }

  @AuditedRoute({ kind: 'query' })
  @Get('reindex/:job')
  async job(@Param('tenant') tenant: string, @Param('job') jobId: string, @Res() reply: FastifyReply): Promise<void> {
    const index = this.open();
    const job = isTenantId(tenant) ? await index.getReindexJob(tenant, jobId) : undefined;
    if (!job) return sendProblem(reply, 404, `no reindex job "${jobId}" of tenant "${tenant}"`);
    await sendJson(reply, 200, job);
  }

  private open(): MetadataIndex {
    if (!this.index) throw new Error('the index API needs the metadata index (runApp metadataIndex: true)');
    return this.index;
  }
}

function isTenantId(tenant: string): boolean {
  return tenantIdSchema.safeParse(tenant).success;
}

function bodyOf(tenant: string, extras: ExtraAttributes): ExtraAttributesBody {
  return {
    generation: extras.generation,
    attributes: extras.attributes.map(({ keyword, tag, vr, level }) => ({ attribute: keyword, tag, vr, level })),
    ...(extras.reindexJobId !== undefined
      ? { reindexJob: { id: extras.reindexJobId, url: `/tenants/${tenant}/index/reindex/${extras.reindexJobId}` } }
      : {}),
  };
}
