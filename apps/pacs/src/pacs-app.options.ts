import { TOPICS_V1 } from '@pacs/contracts';
import { loadGatewayConfig, type GatewayConfig } from '@pacs/ingest';
import type { RunAppOptions } from '@pacs/platform';
import { PacsAppModule } from './pacs-app.module';

/** How the all-in-one app is run (main.ts; tests run it in their own process with these). */
export const PACS_APP_OPTIONS: RunAppOptions<GatewayConfig> = {
  service: 'pacs',
  defaultMode: 'embedded',
  topics: TOPICS_V1,
  appConfig: loadGatewayConfig,
  metadataIndex: true,
  routingStore: true,
  audit: true,
  rootModule: (platform, gateway, services) => PacsAppModule.register(platform, gateway, services),
};
