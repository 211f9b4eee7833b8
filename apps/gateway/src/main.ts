// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { TOPICS_V1 } from '@pacs/contracts';
import { loadGatewayConfig } from '@pacs/ingest';
import { runApp } from '@pacs/platform';
import { GatewayAppModule } from './gateway-app.module';

void runApp({
  service: 'gateway',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  appConfig: loadGatewayConfig,
  metadataIndex: true,
  rootModule: (platform, gateway) => GatewayAppModule.register(platform, gateway),
});
