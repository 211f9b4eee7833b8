// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { ReportsAppModule } from './reports-app.module';

void runApp({
  service: 'reports',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  rootModule: (platform) => ReportsAppModule.register(platform),
});
