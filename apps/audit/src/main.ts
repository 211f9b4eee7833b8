// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { AuditAppModule } from './audit-app.module';

void runApp({
  service: 'audit',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  audit: true,
  rootModule: (platform, _config, services) => AuditAppModule.register(platform, services),
});
