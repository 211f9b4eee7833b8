// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { StorageAppModule } from './storage-app.module';

void runApp({
  service: 'storage',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  rootModule: (platform) => StorageAppModule.register(platform),
});
