// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { loadDicomConfig } from '@pacs/config';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { GatewayAppModule } from './gateway-app.module';

void runApp({
  service: 'gateway',
  defaultMode: 'distributed',
  topics: TOPICS_V1,
  appConfig: loadDicomConfig,
  rootModule: (platform) => GatewayAppModule.register(platform),
});
