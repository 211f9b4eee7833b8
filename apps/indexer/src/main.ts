// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { IndexerAppModule } from './indexer-app.module';

void runApp({
  service: 'indexer',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  metadataIndex: true,
  rootModule: (platform) => IndexerAppModule.register(platform),
});
