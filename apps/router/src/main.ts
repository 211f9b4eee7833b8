// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { RouterAppModule } from './router-app.module';

void runApp({
  service: 'router',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  metadataIndex: true,
  routingStore: true,
  rootModule: (platform) => RouterAppModule.register(platform),
});
