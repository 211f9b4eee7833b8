import { Module } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from '@pacs/event-bus';
import { LOGGER, type Logger } from '@pacs/observability';
import { AuditTrail } from './audit-trail';

/** The read path's audit trail on the platform's event bus, for QIDO-RS, WADO and DIMSE Q/R. */
@Module({
  providers: [
    {
      provide: AuditTrail,
      inject: [EVENT_BUS, LOGGER],
      useFactory: (eventBus: EventBus, logger: Logger) =>
        new AuditTrail(eventBus, logger.child({ component: 'audit' })),
    },
  ],
  exports: [AuditTrail],
})
export class QueryAuditModule {}
