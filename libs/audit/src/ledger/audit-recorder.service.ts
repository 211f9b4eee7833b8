import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { AuditConfig } from '@pacs/config';
import { AuditEventV1 } from '@pacs/contracts';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { LOGGER, type Logger } from '@pacs/observability';
import { AUDIT_CONFIG } from '../audit.tokens';
import { AuditExports } from '../export/audit-exports.service';
import { AuditLedger } from './audit-ledger';

/** The consumer group of the audit service on `audit.event`. */
export const AUDIT_GROUP = 'audit';

/**
 * Consumes `audit.event` (keyed by tenant, so a tenant's events arrive in order on one partition)
 * and appends them to their tenants' chains, a batch per call: one store write per batch, the
 * offsets committed after it. A redelivered batch appends nothing twice (AuditLedger). Then the
 * exporters are woken to send the new records.
 */
@Injectable()
export class AuditRecorder implements OnModuleInit {
  constructor(
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    private readonly ledger: AuditLedger,
    private readonly exports: AuditExports,
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.eventBus.subscribeBatch(
      AuditEventV1,
      async (messages) => {
        const records = await this.ledger.append(messages.map((message) => message.value));
        if (records.length > 0) {
          this.logger.debug({ records: records.length }, 'audit records appended');
          this.exports.notify();
        }
      },
      { group: AUDIT_GROUP, maxBatchSize: this.config.batchSize },
    );
  }
}
