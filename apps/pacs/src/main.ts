// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { loadDicomConfig } from '@pacs/config';
import { TOPICS_V1 } from '@pacs/contracts';
import { runApp } from '@pacs/platform';
import { PacsAppModule } from './pacs-app.module';

void runApp({
  service: 'pacs',
  defaultMode: 'embedded',
  topics: TOPICS_V1,
  appConfig: loadDicomConfig,
  rootModule: (platform, dicom) => PacsAppModule.register(platform, dicom),
});
