// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { loadGatewayConfig } from '@pacs/ingest';
import { runApp } from '@pacs/platform';
import { PacsAppModule } from './pacs-app.module';

void runApp({
  service: 'pacs',
  defaultMode: 'embedded',
  topics: TOPICS_V1,
  appConfig: loadGatewayConfig,
  metadataIndex: true,
  routingStore: true,
  rootModule: (platform, gateway) => PacsAppModule.register(platform, gateway),
});
