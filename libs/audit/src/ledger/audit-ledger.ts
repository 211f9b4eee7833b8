import type { AuditEvent } from '@pacs/contracts';
import { AuditChainConflictError, type AuditRecord, type AuditStore } from '@pacs/audit-store';
import { chainHash, GENESIS_HASH } from './chain';

/** How many times an append is retried after another writer took the next seq. */
const CONFLICT_RETRIES = 10;

/**
 * Appends audit events to their tenants' chains: each becomes the record after the tenant's last
 * one, linked to it by SHA-256 (chain.ts). Idempotent: an event whose eventId the tenant's chain
 * already holds (a redelivery) is left out, and so is a second copy within one batch. When another
 * writer appended first (two audit replicas during a rebalance), the head is read again and the
 * rest is chained after it. Within one process, the appends of a tenant are made one at a time.
 */
export class AuditLedger {
  /** The tail of each tenant's queue of appends in this process. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: AuditStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Appends the events, in the order given per tenant; returns the records appended. */
  async append(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const byTenant = new Map<string, AuditEvent[]>();
    for (const event of events) {
      const list = byTenant.get(event.tenantId) ?? [];
      if (!list.some((e) => e.eventId === event.eventId)) list.push(event);
      byTenant.set(event.tenantId, list);
    }
    const appended: AuditRecord[] = [];
    for (const [tenantId, tenantEvents] of byTenant) appended.push(...(await this.serialized(tenantId, tenantEvents)));
    return appended;
  }

  /** Appends after the tenant's appends already under way in this process. */
  private serialized(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const previous = this.tails.get(tenantId) ?? Promise.resolve();
    const next = previous.then(
      () => this.appendTenant(tenantId, events),
      () => this.appendTenant(tenantId, events),
    );
    this.tails.set(tenantId, next);
    const forget = () => {
      if (this.tails.get(tenantId) === next) this.tails.delete(tenantId);
    };
    next.then(forget, forget);
    return next;
  }

  private async appendTenant(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.store.existingEventIds(
        tenantId,
        events.map((e) => e.eventId),
      );
      const fresh = events.filter((e) => !existing.has(e.eventId));
      if (fresh.length === 0) return [];
      const head = await this.store.head(tenantId);
      const records = this.chain(tenantId, fresh, head?.seq ?? 0, head?.hash ?? GENESIS_HASH);
      try {
        await this.store.append(records);
        return records;
      } catch (error) {
        if (!(error instanceof AuditChainConflictError) || attempt >= CONFLICT_RETRIES) throw error;
        // Another process appended first: let it finish its batch, then chain after it.
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
      }
    }
  }

  private chain(tenantId: string, events: readonly AuditEvent[], lastSeq: number, lastHash: string): AuditRecord[] {
    const recordedAt = this.clock().toISOString();
    const records: AuditRecord[] = [];
    let seq = lastSeq;
    let prevHash = lastHash;
    for (const event of events) {
      seq++;
      const content = { tenantId, seq, eventId: event.eventId, recordedAt, event, prevHash };
      const hash = chainHash(content);
      records.push({ ...content, hash });
      prevHash = hash;
    }
    return records;
  }
}
