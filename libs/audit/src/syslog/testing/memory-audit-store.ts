import { createHash, randomUUID } from 'node:crypto';
import type { AuditPage, AuditQuery, AuditRecord, AuditStore, ChainHead } from '@pacs/audit-store';
import type { AuditEvent } from '@pacs/contracts';

// An in-memory audit store for the syslog specs: the port's behaviour that the exporter relies on
// (range, tenants, cursors that never move back), and a helper that chains records.

export class MemoryAuditStore implements AuditStore {
  private readonly chains = new Map<string, AuditRecord[]>();
  private readonly cursors = new Map<string, number>();
  /** Calls of setExportCursor, in order: `exporter tenant seq`. */
  readonly cursorMoves: string[] = [];

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  async head(tenantId: string): Promise<ChainHead | null> {
    const last = this.chains.get(tenantId)?.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : null;
  }

  async existingEventIds(tenantId: string, eventIds: readonly string[]): Promise<Set<string>> {
    const held = new Set((this.chains.get(tenantId) ?? []).map((r) => r.eventId));
    return new Set(eventIds.filter((id) => held.has(id)));
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      const chain = this.chains.get(record.tenantId) ?? [];
      if (record.seq !== chain.length + 1) throw new Error(`seq ${record.seq} is not ${chain.length + 1}`);
      chain.push(record);
      this.chains.set(record.tenantId, chain);
    }
  }

  async range(tenantId: string, fromSeq: number, limit: number): Promise<AuditRecord[]> {
    return (this.chains.get(tenantId) ?? []).filter((r) => r.seq >= fromSeq).slice(0, limit);
  }

  async get(tenantId: string, seq: number): Promise<AuditRecord | null> {
    return this.chains.get(tenantId)?.[seq - 1] ?? null;
  }

  async search(tenantId: string, _query: AuditQuery, page: AuditPage): Promise<AuditRecord[]> {
    return (this.chains.get(tenantId) ?? []).filter((r) => r.seq > (page.afterSeq ?? 0)).slice(0, page.limit);
  }

  async tenants(): Promise<string[]> {
    return [...this.chains.keys()].sort();
  }

  async exportCursor(exporter: string, tenantId: string): Promise<number> {
    return this.cursors.get(`${exporter} ${tenantId}`) ?? 0;
  }

  async setExportCursor(exporter: string, tenantId: string, seq: number): Promise<void> {
    const key = `${exporter} ${tenantId}`;
    this.cursorMoves.push(`${key} ${seq}`);
    if (seq > (this.cursors.get(key) ?? 0)) this.cursors.set(key, seq);
  }

  /** Appends an event as the next record of its tenant's chain. */
  async appendEvent(event: AuditEvent): Promise<AuditRecord> {
    const head: ChainHead = (await this.head(event.tenantId)) ?? { seq: 0, hash: '0'.repeat(64) };
    const record: AuditRecord = {
      tenantId: event.tenantId,
      seq: head.seq + 1,
      eventId: event.eventId,
      recordedAt: new Date().toISOString(),
      event,
      prevHash: head.hash,
      hash: createHash('sha256').update(head.hash).update(JSON.stringify(event)).digest('hex'),
    };
    await this.append([record]);
    return record;
  }
}

/** A query audit event of a tenant, `n` telling events apart. */
export function sampleAuditEvent(tenantId: string, n: number, occurredAt = new Date()): AuditEvent {
  return {
    eventId: randomUUID(),
    tenantId,
    occurredAt: occurredAt.toISOString(),
    correlationId: `corr-${n}`,
    causationId: null,
    event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
    action: 'E',
    outcome: n % 7 === 0 ? 4 : 0,
    source: 'query',
    participants: [
      {
        userId: `MODALITY_${n}`,
        isRequestor: true,
        roles: [{ code: '110153', codingScheme: 'DCM', meaning: 'Source Role ID' }],
        networkAccessPoint: '10.1.2.3',
      },
      {
        userId: 'PACS',
        isRequestor: false,
        roles: [{ code: '110152', codingScheme: 'DCM', meaning: 'Destination Role ID' }],
      },
    ],
    objects: [
      {
        typeCode: '2',
        role: { code: '3', codingScheme: 'RFC-3881', meaning: 'Report' },
        idType: { code: '110181', codingScheme: 'DCM', meaning: 'SOP Class UID' },
        id: '1.2.840.10008.5.1.4.1.2.2.1',
        query: Buffer.from(`query ${n} é`).toString('base64'),
        details: { PatientName: `DOE^${n} <&>`, TransferSyntax: '1.2.840.10008.1.2.1' },
      },
    ],
  };
}
