import { startTelemetry } from '@pacs/observability';

startTelemetry('indexer');
// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { loadIndexerConfig } from '@pacs/config';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { IndexerAppModule } from './indexer-app.module';

void runApp({
  service: 'indexer',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  // Validated with the platform's variables at boot, so that every wrong one is named at once.
  appConfig: loadIndexerConfig,
  metadataIndex: true,
  rootModule: (platform) => IndexerAppModule.register(platform),
});
