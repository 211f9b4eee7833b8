import { Module, type DynamicModule } from '@nestjs/common';
import { AUDIT_STORE, type AuditStore } from '@pacs/audit-store';
import type { AuditConfig } from '@pacs/config';
import { AUDIT_CONFIG } from './audit.tokens';
import { AuditExports } from './export/audit-exports.service';
import { AuditController } from './http/audit.controller';
import { AuditLedger } from './ledger/audit-ledger';
import { AuditRecorder } from './ledger/audit-recorder.service';

/**
 * The audit service: imported by the audit app and the all-in-one app. It consumes `audit.event`
 * into the tenants' append-only, SHA-256-chained trails (the platform's AUDIT_STORE), serves them
 * to auditors (search, record as PS3.15 A.5 XML, chain verification) and exports them to the
 * syslog collectors.
 */
@Module({})
export class AuditModule {
  static register(config: AuditConfig | undefined): DynamicModule {
    if (!config) throw new Error('AuditModule needs the audit settings (runApp audit: true)');
    return {
      module: AuditModule,
      controllers: [AuditController],
      providers: [
        { provide: AUDIT_CONFIG, useValue: config },
        {
          provide: AuditLedger,
          inject: [AUDIT_STORE],
          useFactory: (store: AuditStore | null) => {
            if (!store) throw new Error('AuditModule needs the audit store (runApp auditStore: true)');
            return new AuditLedger(store);
          },
        },
        AuditExports,
        AuditRecorder,
      ],
      exports: [AuditExports],
    };
  }
}
