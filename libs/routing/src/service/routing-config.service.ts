import { readFile } from 'node:fs/promises';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { RouterConfig } from '@pacs/config';
import { LOGGER, type Logger } from '@pacs/observability';
import {
  ROUTING_STORE,
  RoutingStoreError,
  type JsonObject,
  type RoutingConfigDocuments,
  type RoutingStore,
} from '@pacs/routing-store';
import type { ParseResult } from '../routing-config.error';
import { parseRoutingFile } from '../routing-file';
import { ROUTER_CONFIG } from './router.tokens';
import { readTenantRouting, type TenantRouting } from './tenant-routing';

/** A change of a tenant's routing asked through the REST API for a tenant the routing file manages. */
export class RoutingManagedByFileError extends Error {
  readonly code = 'MANAGED_BY_FILE';
  readonly retriable = false;
  constructor(
    readonly tenantId: string,
    readonly file: string,
  ) {
    super(`the routing of tenant "${tenantId}" is managed by ${file}: change it there and restart`);
    this.name = 'RoutingManagedByFileError';
  }
}

/** How long a tenant's routing read from the store is used before it is read again. */
const CACHE_MS = 1000;
const SAVE_ATTEMPTS = 5;

/**
 * The tenants' routing: read from the routing store (validated, cached for a second, so that a
 * change made by another replica applies within about that), changed with a compare-and-set on
 * the store's revision, and, for the tenants a routing file (PACS_ROUTING_FILE) names, written
 * from that file at start and refused to the REST API. A stored configuration that no longer
 * validates routes nothing (logged): an instance is never sent where it was not meant to go.
 */
@Injectable()
export class RoutingConfigService implements OnModuleInit {
  private readonly cache = new Map<string, { routing: TenantRouting; readAt: number }>();
  private readonly managed = new Map<string, string>();

  constructor(
    @Inject(ROUTING_STORE) private readonly store: RoutingStore,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.routingFile) await this.applyFile(this.config.routingFile);
  }

  /** The tenant's routing (no destinations and no rules when it has none). */
  async tenant(tenantId: string): Promise<TenantRouting> {
    const cached = this.cache.get(tenantId);
    if (cached && Date.now() - cached.readAt < CACHE_MS) return cached.routing;
    const stored = await this.store.getConfig(tenantId);
    const read = readTenantRouting(tenantId, stored.revision, stored, this.managed.get(tenantId));
    let routing: TenantRouting;
    if (read.ok) {
      routing = read.value;
    } else {
      this.logger.error(
        { tenantId, revision: stored.revision, problems: read.error.problems },
        'stored routing configuration invalid: nothing is routed for the tenant',
      );
      routing = { tenantId, revision: stored.revision, destinations: [], rules: [] };
    }
    this.cache.set(tenantId, { routing, readAt: Date.now() });
    return routing;
  }

  /** The documents as stored, for the REST API to show and edit. */
  async documents(tenantId: string): Promise<RoutingConfigDocuments & { revision: number }> {
    const stored = await this.store.getConfig(tenantId);
    return { revision: stored.revision, destinations: stored.destinations, rules: stored.rules };
  }

  /**
   * Applies `change` to the stored documents and saves the result once it validates (destinations,
   * then rules against them), again on a fresh read when another writer saved meanwhile. A change
   * that does not validate saves nothing and answers the problems. Throws RoutingManagedByFileError
   * for a tenant of the routing file.
   */
  async update(
    tenantId: string,
    change: (current: RoutingConfigDocuments) => RoutingConfigDocuments,
  ): Promise<ParseResult<TenantRouting>> {
    const file = this.managed.get(tenantId);
    if (file) throw new RoutingManagedByFileError(tenantId, file);
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.getConfig(tenantId);
      const next = change(current);
      const checked = readTenantRouting(tenantId, current.revision + 1, next);
      if (!checked.ok) return checked;
      try {
        const saved = await this.store.saveConfig(tenantId, next, current.revision, new Date().toISOString());
        const routing = { ...checked.value, revision: saved.revision };
        this.cache.set(tenantId, { routing, readAt: Date.now() });
        return { ok: true, value: routing };
      } catch (error) {
        if (!(error instanceof RoutingStoreError && error.code === 'CONFLICT') || attempt >= SAVE_ATTEMPTS) throw error;
      }
    }
  }

  /** Writes each tenant of the routing file to the store (when it differs) and marks it managed. */
  private async applyFile(file: string): Promise<void> {
    const text = await readFile(file, 'utf8');
    const parsed = parseRoutingFile(text, file);
    if (!parsed.ok) throw parsed.error;
    const raw = JSON.parse(text) as { tenants: Record<string, { destinations?: JsonObject[]; rules?: JsonObject[] }> };
    for (const tenantId of parsed.value.keys()) {
      const documents = {
        destinations: raw.tenants[tenantId]?.destinations ?? [],
        rules: raw.tenants[tenantId]?.rules ?? [],
      };
      const current = await this.store.getConfig(tenantId);
      if (JSON.stringify(documents) !== JSON.stringify({ destinations: current.destinations, rules: current.rules })) {
        await this.store.saveConfig(tenantId, documents, current.revision, new Date().toISOString());
      }
      this.managed.set(tenantId, file);
      this.cache.delete(tenantId);
    }
    this.logger.info({ file, tenants: [...parsed.value.keys()] }, 'routing file applied');
  }
}
